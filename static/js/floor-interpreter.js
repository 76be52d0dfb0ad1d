// The interpreter's page: who speaks, the list, the timer, and the source they interpret from (the floor or a
// relay of another channel). The audio (hearing the floor or the relay, the microphone into the channel) is
// stage-interpreter.js, told of the source by the "floor:source" event.
import { countdown, el, i18n, startFloor } from "./floor-common.js";

const root = document.getElementById("floor-interpreter");
if (root) {
  const t = i18n(root);
  const status = document.getElementById("floor-status");
  const live = startFloor({
    sessionId: Number(root.dataset.session), auth: { interpreter_token: root.dataset.token },
    onStatus: (s, err) => { status.textContent = s === "live" ? t.live : s === "offline" ? t.offline : (err && (err.message || err.code)) || t.refused; },
    onChange: (l) => {
      if (!l.state) return;
      document.getElementById("floor-speaking").textContent = l.state.current ? l.state.current.name : t.nobody;
      document.getElementById("floor-list").replaceChildren(
        ...l.state.speakers.filter((s) => s.state === "waiting").map((s) => el("li", { dir: "auto", text: s.name })));
      if (l.info.interpreter) document.dispatchEvent(new CustomEvent("floor:source", { detail: l.info.interpreter.source }));
    },
  });
  window.eventhubFloor = live;  // stage-interpreter.js asks for the channel's media credentials through it
  const timer = document.getElementById("floor-timer");
  setInterval(() => {
    const cur = live.state && live.state.current;
    if (!cur) { timer.textContent = ""; return; }
    const c = countdown(cur, live.now(), t);
    timer.textContent = c.label ? `${c.text} · ${c.label}` : c.text;
    timer.dataset.level = c.level;
  }, 250);
  document.getElementById("floor-relay").addEventListener("change", async (event) => {
    const value = event.target.value;
    const ack = await live.call("relay", { source_channel_id: value ? Number(value) : null });
    const out = document.getElementById("floor-relay-result");
    out.textContent = ack.ok ? "✓" : (ack.error.message || ack.error.code);
    if (ack.ok) document.dispatchEvent(new CustomEvent("floor:source", { detail: ack.data.source }));
  });
}
