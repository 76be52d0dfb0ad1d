// The projector: the pinned question and its author in very large type, then the top questions and the open
// poll (with results when the moderator shows them). No controls; reconnects on its own.
import { el, i18n, pollResults, sortQuestions, startQa } from "./qa-common.js";

const root = document.getElementById("qa");
const t = root ? i18n(root) : {};
const TOP = 5;

function render(state) {
  const shown = [...state.questions.values()].filter((q) => q.status === "approved" || q.status === "answered");
  const pinned = shown.find((q) => q.pinned);
  const box = document.getElementById("qa-pinned");
  box.replaceChildren(...(pinned ? [
    el("p", { class: "qa-pinned-text", dir: "auto", text: pinned.text }),
    el("p", { class: "qa-pinned-author", dir: "auto", text: pinned.author || t.anonymous }),
  ] : []));
  box.hidden = !pinned;
  const top = sortQuestions(shown.filter((q) => !q.pinned && q.status === "approved"), "popular").slice(0, TOP);
  document.getElementById("qa-top").replaceChildren(...top.map((q) => el("li", { "data-id": q.id },
    el("span", { class: "qa-top-votes", text: `▲ ${q.votes}` }), el("span", { dir: "auto", text: q.text }))));
  const poll = [...state.polls.values()].filter((p) => p.status === "open" || (p.status === "closed" && p.results_visible))
    .sort((a, b) => b.id - a.id)[0];
  const pollBox = document.getElementById("qa-poll");
  pollBox.replaceChildren(...(poll ? [el("h2", { dir: "auto", text: poll.question }),
    poll.results_visible ? pollResults(poll, t) : el("ul", {}, ...poll.options.map((o) => el("li", { dir: "auto", text: o.label })))] : []));
  pollBox.hidden = !poll;
}

function start() {
  if (!root || !window.io) return;
  const status = document.getElementById("qa-status");
  startQa({ sessionId: Number(root.dataset.session), onChange: render,
            onStatus: (kind) => { status.textContent = kind === "live" ? "" : "•"; } });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
