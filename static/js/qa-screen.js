// The projector: the pinned question and its author in very large type, then the open poll (with results when
// the moderator shows them) and as many top questions as the screen holds, beside the join QR code. It never
// scrolls: after each change the pinned question shrinks until it fits its share of the height (never below
// MIN px), and top questions are added one by one while they fit. No controls; reconnects on its own.
import { el, i18n, pollResults, sortQuestions, startQa } from "./qa-common.js";

const root = document.getElementById("qa");
const t = root ? i18n(root) : {};
const MAX_TOP = 12;
const MIN = 24; // px: the smallest type on the projector (the back of the hall)
let last = null;

const fits = (box) => box.scrollHeight <= box.clientHeight + 1;

function shrinkToFit(box, text, startPx) {
  let size = Math.max(MIN, Math.round(startPx));
  text.style.fontSize = `${size}px`;
  text.style.webkitLineClamp = "";
  while (!fits(box) && size > MIN) {
    size -= 2;
    text.style.fontSize = `${Math.max(MIN, size)}px`;
  }
  if (!fits(box)) { // still too long at the smallest size: cut it, with an ellipsis, to the lines that fit
    const line = parseFloat(getComputedStyle(text).lineHeight) || MIN * 1.2;
    const room = box.clientHeight - (box.scrollHeight - text.offsetHeight);
    text.style.display = "-webkit-box";
    text.style.webkitBoxOrient = "vertical";
    text.style.overflow = "hidden";
    text.style.webkitLineClamp = String(Math.max(1, Math.floor(room / line)));
  }
}

function render(state) {
  last = state;
  const h = window.innerHeight;
  const w = window.innerWidth;
  const shown = [...state.questions.values()].filter((q) => q.status === "approved" || q.status === "answered");
  const pinned = shown.find((q) => q.pinned);
  const poll = [...state.polls.values()].filter((p) => p.status === "open" || (p.status === "closed" && p.results_visible))
    .sort((a, b) => b.id - a.id)[0];

  const pollBox = document.getElementById("qa-poll");
  pollBox.replaceChildren(...(poll ? [el("h2", { dir: "auto", text: poll.question }),
    (poll.results_visible && pollResults(poll, t)) || el("ul", {}, ...poll.options.map((o) => el("li", { dir: "auto", text: o.label })))] : []));
  pollBox.hidden = !poll;
  pollBox.style.maxHeight = `${Math.round(h * 0.32)}px`;
  if (poll && !fits(pollBox)) { // many or long options: the options and figures matter more than the voter count
    const voters = pollBox.querySelector(".qa-results + p, .small");
    if (voters) voters.remove();
    for (const li of [...pollBox.querySelectorAll("li")].reverse()) { if (fits(pollBox)) break; li.remove(); }
  }

  const box = document.getElementById("qa-pinned");
  const text = el("p", { class: "qa-pinned-text", dir: "auto", text: pinned ? pinned.text : "" });
  box.replaceChildren(...(pinned ? [text, el("p", { class: "qa-pinned-author", dir: "auto", text: pinned.author || t.anonymous })] : []));
  box.hidden = !pinned;
  if (pinned) {
    box.style.maxHeight = `${Math.round(h * (poll ? 0.32 : 0.46))}px`;
    shrinkToFit(box, text, Math.max(MIN + 8, w * 0.042));
  }

  const list = document.getElementById("qa-top");
  list.replaceChildren();
  const top = sortQuestions(shown.filter((q) => !q.pinned && q.status === "approved"), "popular").slice(0, MAX_TOP);
  for (const q of top) { // as many as fit, most voted first
    const item = el("li", { "data-id": q.id },
      el("span", { class: "qa-top-votes", text: `▲ ${q.votes}` }), el("span", { dir: "auto", text: q.text }));
    list.append(item);
    if (!fits(list)) item.remove(); // too long for the space left: a shorter one further down may fit
  }
}

function start() {
  if (!root || !window.io) return;
  const status = document.getElementById("qa-status");
  startQa({ sessionId: Number(root.dataset.session), onChange: render,
            onStatus: (kind) => { status.textContent = kind === "live" ? "" : "•"; } });
  window.addEventListener("resize", () => { if (last) render(last); });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
