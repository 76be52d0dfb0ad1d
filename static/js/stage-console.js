// The stage manager's console: everyone backstage and live with connection quality; bring live, send backstage,
// mute, remove, spotlight, show/hide the question on screen, start and end the live state.
import { el, i18n, startStage } from "./stage-common.js";

const root = document.getElementById("stage");
const t = root ? i18n(root) : {};

function button(action, label, participantId) {
  return el("button", { type: "button", "data-action": action, "data-participant": participantId ?? null, text: label });
}

function render(state) {
  const s = state.stage || {};
  state.state = s.state;
  document.getElementById("stage-state").textContent = t[`state_${s.state}`] || s.state || "";
  document.getElementById("stage-state").dataset.state = s.state || "";
  for (const b of document.querySelectorAll("[data-stage-action]")) {
    const a = b.dataset.stageAction;
    b.hidden = !({ open: ["closed", "ended"], go_live: ["open"], end: ["open", "live"],
                   show_question: ["open", "live"], hide_question: ["open", "live"] }[a] || []).includes(s.state)
      || (a === "show_question" && s.show_question) || (a === "hide_question" && !s.show_question);
  }
  const rows = [...state.participants.values()].sort((a, b) => a.id - b.id).map((p) => {
    const q = p.quality || {};
    // Each figure isolated (numbers and units read left to right in Arabic too).
    const figures = [q.bitrate_kbps !== undefined ? `${q.bitrate_kbps} ${t.kbps}` : "",
                     q.loss_pct !== undefined ? `${q.loss_pct} % ${t.loss}` : "", q.rtt_ms !== undefined ? `${q.rtt_ms} ms` : ""]
      .filter(Boolean).flatMap((f, i) => [i ? " · " : "", el("bdi", { text: f })]);
    const name = p.role === "room_feed" ? (t.room_feed || p.display) : p.display;
    return el("tr", { "data-participant": p.id, "data-state": p.state, "data-connection": p.connection },
      el("td", { dir: "auto", class: "stage-person-name", text: name }),
      el("td", { class: "nowrap", text: t[`place_${p.state}`] || p.state }),
      el("td", { class: `nowrap conn conn-${p.connection}`, text: t[`conn_${p.connection}`] || p.connection }),
      el("td", {}, el("span", {}, ...figures), q.weak ? el("strong", { class: "weak", text: ` ${t.weak}` }) : null),
      el("td", { text: p.muted ? t.muted : (p.self_muted ? `(${t.muted})` : "") }),
      el("td", {}, el("span", { class: "stage-person-actions" },
        p.state !== "live" && p.state !== "removed" && p.role === "panelist" ? button("bring_live", t.bring_live, p.id) : null,
        p.state !== "backstage" ? button("send_backstage", t.send_backstage, p.id) : null,
        button(p.muted ? "unmute" : "mute", p.muted ? t.unmute : t.mute, p.id),
        p.state === "live" ? button(s.spotlight_id === p.id ? "unspotlight" : "spotlight", s.spotlight_id === p.id ? t.unspotlight : t.spotlight, p.id) : null,
        p.role === "panelist" ? button(p.screen_share_allowed ? "deny_screen" : "allow_screen", p.screen_share_allowed ? t.deny_screen : t.allow_screen, p.id) : null,
        p.state !== "removed" ? button("remove", t.remove, p.id) : null)));
  });
  document.getElementById("stage-people").replaceChildren(...rows);
}

function start() {
  if (!root || !window.io) return;
  const state = startStage({ sessionId: Number(root.dataset.session), role: "manager", onChange: render,
    onStatus: (kind) => { document.getElementById("stage-status").textContent = kind === "live" ? "" : (t[kind] || kind); } });
  const feedback = document.getElementById("stage-feedback");
  root.addEventListener("click", async (ev) => {
    const b = ev.target.closest("[data-action], [data-stage-action]");
    if (!b) return;
    const action = b.dataset.action || b.dataset.stageAction;
    const payload = { action, ...(b.dataset.participant ? { participant_id: Number(b.dataset.participant) } : {}) };
    const ack = await state.emit("manage", payload);
    feedback.textContent = ack && !ack.ok ? ack.error.message : "";
    state.lastAck = ack;
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
