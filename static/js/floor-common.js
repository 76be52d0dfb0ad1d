// Live floor client shared by the console, the live page, the panelist page, the interpreter page and the stage
// timer. State is the server's whole "state" view, replaced on every message; timers are computed from the stored
// times (started_at, paused_at, paused_seconds) and the server's clock, so every screen shows the same countdown.

import { dataJSON, el, i18n } from "./qa-common.js";

export { dataJSON, el, i18n };

export function startFloor({ sessionId, auth = {}, onChange = () => {}, onStatus = () => {} }) {
  const live = { seq: null, state: null, hands: new Map(), channels: [], offset: 0, info: {} };
  const socket = window.io("/floor", { auth, transports: ["websocket", "polling"] });

  const seen = new Map(); // "state" or "h<id>" -> seq of the message applied last: older ones are ignored

  function apply(message) {
    if (message.session_id !== sessionId) return;
    const key = message.kind === "hand" ? `h${message.hand.id}` : message.kind;
    if ((seen.get(key) ?? -1) > message.seq) return;
    seen.set(key, message.seq);
    if (message.kind === "state") live.state = message.state;
    else if (message.kind === "hand") live.hands.set(message.hand.id, { ...(live.hands.get(message.hand.id) || {}), ...message.hand });
    live.seq = Math.max(live.seq ?? 0, message.seq);
  }

  function join() {
    socket.emit("join", { session_id: sessionId, since: live.seq }, (ack) => {
      if (!ack || !ack.ok) { onStatus("error", ack && ack.error); return; }
      const data = ack.data;
      live.offset = Date.parse(data.server_time) - Date.now();
      live.info = data;
      if (data.snapshot) {
        seen.clear();
        seen.set("state", data.seq);
        live.state = data.snapshot.state;
        live.hands = new Map(data.snapshot.hands.map((h) => [h.id, h]));
        live.channels = data.snapshot.channels;
      } else {
        for (const m of data.missed) apply(m);
      }
      live.seq = Math.max(live.seq ?? 0, data.seq);
      onStatus("live");
      onChange(live);
    });
  }

  socket.on("connect", join);
  socket.on("disconnect", () => onStatus("offline"));
  socket.on("connect_error", (err) => onStatus("refused", err && err.data));
  socket.on("floor", (message) => { apply(message); onChange(live); });

  function call(event, payload) {
    return new Promise((resolve) => {
      socket.timeout(10000).emit(event, payload, (err, ack) => {
        resolve(err ? { ok: false, error: { code: "timeout", message: "" } } : ack);
      });
    });
  }
  live.socket = socket;
  live.call = call;
  live.now = () => Date.now() + live.offset;
  return live;
}

// Seconds spoken so far by `speech` at server time `now` (ms).
export function elapsed(speech, now) {
  const until = speech.ended_at ? Date.parse(speech.ended_at) : speech.paused_at ? Date.parse(speech.paused_at) : now;
  return Math.max(0, (until - Date.parse(speech.started_at)) / 1000 - speech.paused_seconds);
}

export function clock(seconds) {
  const sign = seconds < 0 ? "−" : "";
  const s = Math.floor(Math.abs(seconds));
  return `${sign}${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

// The countdown of a speech: {text, level: "ok" | "warn" | "up" | "over" | "none", left}
export function countdown(speech, now, t = {}) {
  const spent = elapsed(speech, now);
  if (!speech.budget_seconds) return { text: clock(spent), level: "none", left: null, spent };
  const left = speech.budget_seconds - spent;
  let level = "ok";
  if (left <= 0) level = left > -1 ? "up" : "over";
  else if (left <= 60) level = "warn";
  const label = level === "warn" ? t.one_minute : level === "up" ? t.time_up : level === "over" ? t.overtime : "";
  return { text: left < 0 ? `+${clock(-left)}` : clock(left), level, left, spent, label: label || "" };
}

// Shows a countdown in `node`: the clock isolated left to right (so "+0:12" keeps its sign in front in Arabic),
// then its label ("1 minute left"…). `speech` null: empty.
export function showCountdown(node, speech, now, t = {}, { label = true } = {}) {
  if (!speech) { node.replaceChildren(); node.dataset.level = "none"; return null; }
  const c = countdown(speech, now, t);
  node.replaceChildren(el("bdi", { dir: "ltr", class: "clock", text: c.text }),
    label && c.label ? el("span", { class: "timer-label", text: ` · ${c.label}` }) : "");
  node.dataset.level = speech.paused_at ? "paused" : c.level;
  return c;
}

// A timer element kept up to date every 250 ms; `get()` returns the speech to show (or null).
export function ticker(node, get, now, t) {
  function tick() { showCountdown(node, get(), now(), t); }
  tick();
  return setInterval(tick, 250);
}
