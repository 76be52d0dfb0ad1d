// The interpreter's page: who speaks, the list, the timer, and the source they interpret from (the floor or a
// relay of another channel). The audio (hearing the floor or the relay, the microphone into the channel) is
// stage-interpreter.js, told of the source by the "floor:source" event.
import { el, i18n, showCountdown, startFloor } from "./floor-common.js";

const root = document.getElementById("floor-interpreter");
if (root) {
  const t = i18n(root);
  const status = document.getElementById("floor-status");
  const live = startFloor({
    sessionId: Number(root.dataset.session), auth: { interpreter_token: root.dataset.token },
    // "Connected", not "Live": on this page "live" would read as "you are on air".
    onStatus: (s, err) => { status.textContent = s === "live" ? t.connected : s === "offline" ? t.offline : (err && (err.message || err.code)) || t.refused; },
    onChange: (l) => {
      if (!l.state) return;
      const speaking = document.getElementById("floor-speaking");
      speaking.replaceChildren(l.state.current ? el("bdi", { text: l.state.current.name }) : el("span", { class: "muted", text: t.nobody }));
      const next = l.state.speakers.filter((s) => s.state === "waiting");
      document.getElementById("floor-list").replaceChildren(...(next.length
        ? next.map((s) => el("li", {}, el("bdi", { text: s.name })))
        : [el("li", { class: "muted", text: "—" })]));
      if (l.info.interpreter) document.dispatchEvent(new CustomEvent("floor:source", { detail: l.info.interpreter.source }));
    },
  });
  window.eventhubFloor = live;  // stage-interpreter.js asks for the channel's media credentials through it
  const timer = document.getElementById("floor-timer");
  setInterval(() => showCountdown(timer, (live.state && live.state.current) || null, live.now(), t), 250);
  document.getElementById("floor-relay").addEventListener("change", async (event) => {
    const value = event.target.value;
    const ack = await live.call("relay", { source_channel_id: value ? Number(value) : null });
    const out = document.getElementById("floor-relay-result");
    out.textContent = ack.ok ? t.saved : (ack.error.message || ack.error.code);
    if (ack.ok) document.dispatchEvent(new CustomEvent("floor:source", { detail: ack.data.source }));
  });
}
