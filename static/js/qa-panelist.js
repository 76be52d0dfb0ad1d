// The panelist's page: the question on screen and those the moderator addressed to them, live.
// The personal link token authenticates the socket (`panelist_token`).
import { el, i18n, startQa } from "./qa-common.js";

const root = document.getElementById("qa-panel");

function start() {
  if (!root || !window.io) return;
  const t = i18n(root);
  const me = Number(root.dataset.panelist);
  for (const block of root.querySelectorAll("[data-session]")) {
    const list = block.querySelector("ol");
    startQa({
      sessionId: Number(block.dataset.session), auth: { panelist_token: root.dataset.token },
      onChange: (state) => {
        const shown = [...state.questions.values()].filter((q) => (q.status === "approved" || q.status === "answered")
          && (q.pinned || q.addressed_to === me));
        shown.sort((a, b) => (b.pinned - a.pinned) || (b.votes - a.votes));
        list.replaceChildren(...shown.map((q) => el("li", { class: `qa-item${q.pinned ? " is-pinned" : ""}`, "data-id": q.id },
          el("div", { class: "qa-body" }, el("p", { class: "qa-text", dir: "auto", text: q.text }),
            el("p", { class: "small muted" }, el("span", { dir: "auto", text: q.author || t.anonymous }),
              q.pinned ? el("span", { class: "badge qa-badge-pinned", text: t.pinned }) : null,
              q.addressed_to === me ? el("span", { class: "badge", text: t.for_you }) : null,
              q.status === "answered" ? el("span", { class: "badge", text: t.answered }) : null)))));
      },
    });
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
