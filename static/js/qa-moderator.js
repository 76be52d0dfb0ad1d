// The moderators' console (tablet and phone): the pending queue first, one-tap actions, polls and settings.
import { dataJSON, el, i18n, pollResults, sortQuestions, startQa } from "./qa-common.js";

const root = document.getElementById("qa");
const t = root ? i18n(root) : {};
let live = null;
let panelists = [];

async function act(questionId, action, extra = {}) {
  const ack = await live.call("moderate", { question_id: questionId, action, ...extra });
  if (ack.ok) for (const q of ack.data.changed) live.upsertQuestion(q);
  else setStatus(ack.error.message, true);
}

function actionButton(label, action, q, extra, cls = "") {
  return el("button", { type: "button", class: `small ${cls}`, "data-action": action, text: label,
                        onclick: () => (typeof extra === "function" ? extra() : act(q.id, action, extra || {})) });
}

function renderQuestion(q, others) {
  const buttons = [];
  if (q.status === "pending") {
    buttons.push(actionButton(t.approve, "approve", q, null, "primary"));
    buttons.push(actionButton(t.reject, "reject", q, () => {
      const reason = window.prompt(t.reason, "");
      if (reason !== null) act(q.id, "reject", { reason });
    }, "danger"));
  } else if (q.status === "rejected" || q.status === "archived") {
    buttons.push(actionButton(t.approve, "approve", q));
  } else {
    buttons.push(q.pinned ? actionButton(t.unpin, "unpin", q) : actionButton(t.pin, "pin", q, null, "primary"));
    if (q.status === "approved") buttons.push(actionButton(t.answer, "answer", q));
    buttons.push(actionButton(t.archive, "archive", q));
  }
  if (q.status !== "archived" && q.status !== "rejected") {
    buttons.push(actionButton(t.edit, "edit", q, () => {
      const text = window.prompt(t.edit_prompt, q.text);
      if (text !== null && text !== q.text) act(q.id, "edit", { text });
    }));
    if (others.length) {
      const merge = el("select", { "aria-label": t.merge, "data-merge": q.id },
        el("option", { value: "", text: t.merge }),
        ...others.filter((o) => o.id !== q.id).map((o) => el("option", { value: o.id, text: `#${o.id} ${o.text.slice(0, 60)}` })));
      merge.addEventListener("change", () => { if (merge.value) act(q.id, "merge", { into_id: Number(merge.value) }); });
      buttons.push(merge);
    }
    if (panelists.length) {
      const address = el("select", { "aria-label": t.address, "data-address": q.id },
        el("option", { value: "", text: t.address }), el("option", { value: "none", text: t.nobody }),
        ...panelists.map((p) => el("option", { value: p.id, text: p.name, selected: q.addressed_to === p.id })));
      address.addEventListener("change", () => {
        if (!address.value) return;
        act(q.id, "address", { panelist_id: address.value === "none" ? null : Number(address.value) });
      });
      buttons.push(address);
    }
  }
  const who = q.anonymous ? `${q.author_name || t.anonymous} (${t.anonymous})` : (q.author_name || t.anonymous);
  const addressed = panelists.find((p) => p.id === q.addressed_to);
  return el("li", { class: `qa-item status-${q.status}${q.pinned ? " is-pinned" : ""}`, "data-id": q.id },
    el("span", { class: "qa-votes-static", text: `▲ ${q.votes}` }),
    el("div", { class: "qa-body" },
      el("p", { class: "qa-text", dir: "auto", text: q.text }),
      el("p", { class: "small muted" }, el("span", { dir: "auto", text: who }),
        q.pinned ? el("span", { class: "badge qa-badge-pinned", text: t.pinned }) : null,
        q.busy_source ? el("span", { class: "badge qa-badge-busy", title: q.source || "", text: t.busy_source }) : null,
        q.status !== "pending" && q.status !== "approved" ? el("span", { class: "badge", text: t[q.status] || q.status }) : null,
        addressed ? el("span", { class: "badge" }, el("span", { class: "dir-icon", "aria-hidden": "true", text: "→" }), " ",
          el("bdi", { text: addressed.name })) : null,
        q.reject_reason ? el("span", { dir: "auto", text: ` ${t.reason_label} ${q.reject_reason}` }) : null),
      el("div", { class: "qa-actions" }, ...buttons)));
}

function renderPolls(state) {
  const box = document.getElementById("qa-poll-list");
  box.replaceChildren(...[...state.polls.values()].sort((a, b) => b.id - a.id).map((poll) => {
    const buttons = [];
    const pollAct = async (action) => {
      const ack = await live.call("poll", { action, poll_id: poll.id });
      if (!ack.ok) setStatus(ack.error.message, true);
    };
    if (poll.status === "draft") buttons.push(el("button", { type: "button", class: "small primary", text: t.open, onclick: () => pollAct("open") }));
    if (poll.status === "open") buttons.push(el("button", { type: "button", class: "small", text: t.close, onclick: () => pollAct("close") }));
    buttons.push(poll.results_visible
      ? el("button", { type: "button", class: "small", text: t.hide_results, onclick: () => pollAct("hide_results") })
      : el("button", { type: "button", class: "small", text: t.show_results, onclick: () => pollAct("show_results") }));
    return el("div", { class: "qa-poll card", "data-poll": poll.id },
      el("h3", { dir: "auto", text: poll.question }),
      el("p", { class: `small muted poll-state poll-state-${poll.status}`, text: t[`poll_state_${poll.status}`] || poll.status }),
      pollResults(poll, t), el("div", { class: "qa-actions" }, ...buttons));
  }));
}

function render(state) {
  const all = [...state.questions.values()];
  const pending = all.filter((q) => q.status === "pending").sort((a, b) => a.id - b.id);
  const shown = all.filter((q) => q.status === "approved" || q.status === "answered");
  const others = [...pending, ...shown];
  document.getElementById("qa-pending").replaceChildren(...pending.map((q) => renderQuestion(q, others)));
  document.getElementById("qa-pending-count").textContent = String(pending.length);
  const pinned = shown.filter((q) => q.pinned);
  document.getElementById("qa-live").replaceChildren(
    ...[...pinned, ...sortQuestions(shown.filter((q) => !q.pinned), "popular")].map((q) => renderQuestion(q, others)));
  if (state.settings) {
    document.getElementById("set-moderation").value = state.settings.moderation;
    document.getElementById("set-open").checked = state.settings.open;
    document.getElementById("set-anonymous").checked = state.settings.anonymous_allowed;
  }
  renderPolls(state);
}

function setStatus(text, bad = false) {
  const status = document.getElementById("qa-status");
  status.textContent = text;
  status.classList.toggle("flash-error", bad);
}

function start() {
  if (!root || !window.io) return;
  panelists = dataJSON(root, "panelists", []);
  const sessionId = Number(root.dataset.session);
  live = startQa({
    sessionId, onChange: render,
    onStatus: (kind, error) => setStatus(kind === "live" ? t.live : kind === "offline" ? t.offline : ((error && error.message) || t.refused), kind !== "live"),
  });
  document.getElementById("qa-settings").addEventListener("submit", async (event) => {
    event.preventDefault();
    const ack = await live.call("settings", {
      session_id: sessionId, moderation: document.getElementById("set-moderation").value,
      open: document.getElementById("set-open").checked, anonymous_allowed: document.getElementById("set-anonymous").checked,
    });
    document.getElementById("settings-result").textContent = ack.ok ? "✓" : ack.error.message;
  });
  document.getElementById("qa-poll-new").addEventListener("submit", async (event) => {
    event.preventDefault();
    const options = document.getElementById("poll-options").value.split("\n").map((s) => s.trim()).filter(Boolean);
    const ack = await live.call("poll", {
      action: "create", session_id: sessionId, question: document.getElementById("poll-question").value,
      options: options.slice(0, 10), multiple: document.getElementById("poll-multiple").checked,
    });
    const result = document.getElementById("poll-result");
    if (ack.ok) { event.target.reset(); result.textContent = "✓"; } else { result.textContent = ack.error.message; }
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
