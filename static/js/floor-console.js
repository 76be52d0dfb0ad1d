// The moderators' console: the list of speakers (drag or Up/Down to reorder), the running timer, the requests for
// the floor and the time used per delegation, live. Without JavaScript every button is a form (routes.act).
import { clock, el, elapsed, i18n, showCountdown, startFloor } from "./floor-common.js";

const root = document.getElementById("floor");
if (root) {
  const t = i18n(root);
  const sessionId = Number(root.dataset.session);
  const status = document.getElementById("floor-status");
  let live = null;

  const report = (ack) => {
    if (ack && !ack.ok) status.textContent = ack.error.message || ack.error.code;
    return ack;
  };
  const act = (event, payload) => live.call(event, payload).then(report);
  // Start, interject, pause, resume and end say which speech they saw running: a change by another moderator in
  // the meantime is refused (floor_changed) rather than overridden.
  const current = () => (live.state && live.state.current ? live.state.current.id : null);

  function button(label, onclick, cls = "") {
    return el("button", { type: "button", class: cls, text: label, onclick });
  }

  function renderCurrent(state) {
    const box = document.getElementById("floor-current");
    box.replaceChildren();
    if (state.current) {
      const timer = el("p", { class: "floor-timer", id: "floor-timer", role: "timer" });
      box.append(el("p", { class: "floor-name", dir: "auto", text: state.current.name }), timer);
    } else {
      box.append(el("p", { class: "muted", text: t.nobody }));
    }
    for (const p of state.paused) box.append(el("p", { class: "small muted", dir: "auto", text: `${t.paused}: ${p.name}` }));
  }

  let dragged = null;
  function renderList(state) {
    const list = document.getElementById("floor-list");
    list.replaceChildren();
    state.speakers.forEach((s, index) => {
      const meta = [t[`kind_${s.kind}`] || s.kind, s.remote ? t.remote : t.in_room, s.kind === "attendee" ? (s.video_allowed ? t.video : t.audio) : null]
        .filter(Boolean).join(" · ");
      const item = el("li", { class: `floor-item state-${s.state}`, "data-id": s.id, draggable: "true" },
        el("span", { class: "floor-name", dir: "auto", text: s.name }),
        el("span", { class: "small muted", text: meta }),
        el("span", { class: "floor-actions" },
          button(t.start, () => act("start", { speaker_id: s.id, if_current: current() }), "primary"),
          state.current && state.current.speaker_id !== s.id ? button(t.interject, () => act("interject", { speaker_id: s.id, if_current: current() })) : null,
          index > 0 ? button(t.up, () => act("move_speaker", { speaker_id: s.id, direction: "up" })) : null,
          index < state.speakers.length - 1 ? button(t.down, () => act("move_speaker", { speaker_id: s.id, direction: "down" })) : null,
          s.state === "speaking" ? null : button(t.remove, () => act("remove_speaker", { speaker_id: s.id }))));
      item.addEventListener("dragstart", () => { dragged = s.id; item.classList.add("is-dragged"); });
      item.addEventListener("dragend", () => item.classList.remove("is-dragged"));
      item.addEventListener("dragover", (e) => e.preventDefault());
      item.addEventListener("drop", (e) => {
        e.preventDefault();
        if (dragged !== null && dragged !== s.id) act("move_speaker", { speaker_id: dragged, position: index });
        dragged = null;
      });
      list.append(item);
    });
  }

  function renderHands(hands) {
    const list = document.getElementById("floor-hands");
    const pending = [...hands.values()].filter((h) => h.status === "pending").sort((a, b) => a.id - b.id);
    document.getElementById("floor-hand-count").textContent = String(pending.length);
    list.replaceChildren();
    if (!pending.length) list.append(el("li", { class: "muted", text: t.no_hands }));
    for (const h of pending) {
      list.append(el("li", { class: "floor-item", "data-hand": h.id },
        el("span", { class: "floor-name", dir: "auto", text: h.name || "—" }),
        h.topic ? el("span", { class: "small", dir: "auto", text: `— ${h.topic}` }) : null,
        el("span", { class: "small muted", text: h.remote ? t.remote : t.in_room }),
        el("span", { class: "floor-actions" },
          button(t.accept, () => act("decide_hand", { hand_id: h.id, accept: true }), "primary"),
          h.remote ? button(t.accept_video, () => act("decide_hand", { hand_id: h.id, accept: true, video_allowed: true })) : null,
          button(t.decline, () => act("decide_hand", { hand_id: h.id, accept: false })))));
    }
  }

  function renderDelegations(state) {
    const list = document.getElementById("floor-delegations");
    list.replaceChildren(...state.delegations.map((d) => el("li", { "data-delegation": d.id },
      el("strong", { dir: "auto", text: d.name }), " ", el("span", { class: "floor-budget", "data-delegation-used": d.id }))));
  }

  function tickDelegations() {
    if (!live || !live.state) return;
    const state = live.state;
    const now = live.now();
    for (const d of state.delegations) {
      const node = document.querySelector(`[data-delegation-used="${d.id}"]`);
      if (!node) continue;
      let used = d.used_seconds;
      const cur = state.current;
      if (cur && cur.delegation_id === d.id) used += elapsed(cur, now) - elapsed(cur, Date.parse(state.as_of));
      const c = (seconds) => el("bdi", { dir: "ltr", text: clock(seconds) });
      node.replaceChildren(...(d.budget_seconds
        ? [c(used), ` ${t.used} / `, c(d.budget_seconds), " (", c(d.budget_seconds - used), ` ${t.left})`]
        : [c(used), ` ${t.used}`]));
      node.dataset.level = d.budget_seconds && used > d.budget_seconds ? "over" : d.budget_seconds && d.budget_seconds - used <= 60 ? "warn" : "ok";
    }
  }

  // Buttons of the no-JavaScript forms go through the socket instead (same services, live answer).
  for (const form of root.querySelectorAll("form[method=post]")) {
    const action = form.querySelector("input[name=action]")?.value;
    if (action === "pause" || action === "resume" || action === "end") {
      form.addEventListener("submit", (e) => { e.preventDefault(); act(action, { session_id: sessionId, if_current: current() }); });
    }
  }

  live = startFloor({
    sessionId,
    onStatus: (s, err) => { status.textContent = s === "live" ? t.live : s === "offline" ? t.offline : (err && (err.message || err.code)) || t.refused; },
    onChange: (l) => {
      if (!l.state) return;
      renderCurrent(l.state); renderList(l.state); renderHands(l.hands); renderDelegations(l.state); tickDelegations();
    },
  });
  setInterval(() => {
    const node = document.getElementById("floor-timer");
    if (node && live.state && live.state.current) showCountdown(node, live.state.current, live.now(), t);
    tickDelegations();
  }, 250);
}
