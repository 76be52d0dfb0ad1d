// The attendee's Q&A page: ask, see your own question at once (even while it waits), upvote, sort, vote in polls.
import { el, i18n, pollResults, sortQuestions, startQa } from "./qa-common.js";

const root = document.getElementById("qa");
const t = root ? i18n(root) : {};
let order = "popular";
let live = null;
// The server's refusal codes for a ticket that will never open the Q&A again (eventhub/qa/participants.py).
const STALE_TICKET = ["invalid_ticket", "ticket_revoked", "registration_cancelled"];

async function identity() {
  // A ticket link opened once on this phone is remembered for the event, so the projected join link and QR code
  // (which carry no ticket) open the Q&A as that attendee afterwards.
  const ticketKey = `eventhub-qa-ticket-${root.dataset.event}`;
  if (root.dataset.ticket) {
    try { localStorage.setItem(ticketKey, root.dataset.ticket); } catch { /* private mode: not remembered */ }
    return { ticket: root.dataset.ticket };
  }
  if (root.dataset.signedIn) return {};
  let remembered = null;
  try { remembered = localStorage.getItem(ticketKey); } catch { remembered = null; }
  if (remembered) return { ticket: remembered };
  if (!root.dataset.anonymousAllowed) return null;
  const storeKey = `eventhub-qa-participant-${root.dataset.session}`;
  let key = localStorage.getItem(storeKey);
  if (!key) {
    const response = await fetch(root.dataset.participantUrl, { credentials: "same-origin" });
    if (!response.ok) return null;
    key = (await response.json()).participant;
    localStorage.setItem(storeKey, key);
  }
  return { participant: key };
}

function statusLabel(q) {
  if (q.status === "pending") return t.pending;
  if (q.status === "rejected") return q.reject_reason ? `${t.rejected} — ${q.reject_reason}` : t.rejected;
  if (q.status === "answered") return t.answered;
  if (q.merged_into) return q.merged_into_text ? `${t.merged_into} « ${q.merged_into_text} »` : t.merged;
  return "";
}

function renderQuestion(q, voted, canVote) {
  const votable = canVote && !q.mine && (q.status === "approved" || q.status === "answered");
  const isVoted = voted.has(q.id);
  const button = el("button", {
    type: "button", class: `qa-vote${isVoted ? " is-voted" : ""}`, "aria-pressed": isVoted ? "true" : "false",
    disabled: !votable, "data-question": q.id, "aria-label": `${t.vote} (${q.votes})`,
  }, el("span", { "aria-hidden": "true", text: "▲" }), el("span", { class: "qa-votes", text: String(q.votes) }));
  button.addEventListener("click", () => vote(q.id, !isVoted));
  const label = statusLabel(q);
  return el("li", { class: `qa-item status-${q.status}${q.pinned ? " is-pinned" : ""}${q.mine ? " is-mine" : ""}`,
                    "data-id": q.id },
    button,
    el("div", { class: "qa-body" },
      el("p", { class: "qa-text", dir: "auto", text: q.text }),
      el("p", { class: "small muted" },
        el("span", { dir: "auto", text: q.author || t.anonymous }),
        q.pinned ? el("span", { class: "badge qa-badge-pinned", text: t.pinned }) : null,
        label ? el("span", { class: `badge qa-badge-${q.status}`, text: label }) : null)));
}

function renderPolls(state) {
  const box = document.getElementById("qa-polls");
  box.replaceChildren();
  const mine = (state.me && state.me.poll_votes) || {};
  for (const poll of [...state.polls.values()].sort((a, b) => b.id - a.id)) {
    if (poll.status === "draft" || (poll.status === "closed" && !poll.results_visible)) continue;
    const voted = mine[String(poll.id)];
    const card = el("form", { class: "card qa-poll", "data-poll": poll.id },
      el("h2", { dir: "auto", text: poll.question }));
    if (poll.status === "open" && !voted && live.canTakePart) {
      const type = poll.multiple ? "checkbox" : "radio";
      for (const o of poll.options) {
        card.append(el("label", { class: "qa-option" },
          el("input", { type, name: `poll-${poll.id}`, value: o.id }), " ", el("span", { dir: "auto", text: o.label })));
      }
      card.append(el("button", { type: "submit", class: "primary", text: t.poll_vote }));
      card.addEventListener("submit", async (event) => {
        event.preventDefault();
        const ids = [...card.querySelectorAll("input:checked")].map((i) => Number(i.value));
        if (!ids.length) return;
        const ack = await live.call("poll_vote", { poll_id: poll.id, option_ids: ids });
        if (ack.ok || (ack.error && ack.error.code === "already_voted")) {
          state.me.poll_votes = { ...mine, [String(poll.id)]: ids };
          renderPolls(state);
        } else {
          card.append(el("p", { class: "small flash-error", role: "alert", text: ack.error.message }));
        }
      });
    } else {
      card.append(el("p", { class: "small muted", text: voted ? t.poll_thanks : (poll.status === "closed" ? t.poll_closed : "") }));
    }
    const results = poll.results_visible ? pollResults(poll, t) : null;
    if (results) card.append(results);
    box.append(card);
  }
}

function render(state) {
  const list = document.getElementById("qa-list");
  const voted = new Set((state.me && state.me.voted) || []);
  const visible = [...state.questions.values()].filter((q) =>
    q.status === "approved" || q.status === "answered" || (q.mine && (q.status === "pending" || q.status === "rejected" || Boolean(q.merged_into))));
  const pinned = visible.filter((q) => q.pinned);
  const rest = sortQuestions(visible.filter((q) => !q.pinned), order);
  list.replaceChildren(...[...pinned, ...rest].map((q) => renderQuestion(q, voted, live.canTakePart)));
  if (!visible.length) list.append(el("li", { class: "muted", text: t.no_questions }));
  const form = document.getElementById("qa-ask");
  form.hidden = !live.canTakePart || !(state.settings && state.settings.open);
  renderPolls(state);
}

async function vote(questionId, up) {
  const ack = await live.call("vote", { question_id: questionId, up });
  const state = live.state;
  if (ack.ok) {
    const voted = new Set(state.me.voted);
    if (ack.data.voted) voted.add(questionId); else voted.delete(questionId);
    state.me.voted = [...voted];
    const q = state.questions.get(questionId);
    if (q) q.votes = ack.data.votes;
    render(state);
  } else {
    setStatus(ack.error.message, true);
  }
}

function setStatus(text, bad = false) {
  const status = document.getElementById("qa-status");
  status.textContent = text;
  status.classList.toggle("flash-error", bad);
}

async function start() {
  if (!root || !window.io) return;
  const sessionId = Number(root.dataset.session);
  const auth = await identity();
  live = startQa({
    sessionId, auth: auth || {},
    onChange: render,
    onStatus: (kind, error) => {
      if (kind === "live") setStatus(t.live);
      else if (kind === "offline") setStatus(t.offline, true);
      else {
        const code = error && error.code;
        if (STALE_TICKET.includes(code) && auth && auth.ticket) {
          // A remembered ticket that no longer opens the Q&A (revoked, replaced, cancelled): forget it and
          // start again as whoever this browser is without it (signed in, anonymous or a viewer).
          try { localStorage.removeItem(`eventhub-qa-ticket-${root.dataset.event}`); } catch { /* ignore */ }
          if (!root.dataset.ticket) { window.location.reload(); return; }
        } else if (code === "invalid_participant" && auth && auth.participant) {
          try { localStorage.removeItem(`eventhub-qa-participant-${root.dataset.session}`); } catch { /* ignore */ }
          window.location.reload();
          return;
        }
        setStatus((error && error.message) || t.refused, true);
      }
    },
  });
  live.canTakePart = auth !== null;
  document.getElementById("qa-no-identity").hidden = live.canTakePart;

  const form = document.getElementById("qa-ask");
  const text = document.getElementById("qa-text");
  const count = document.getElementById("qa-count");
  const result = document.getElementById("qa-ask-result");
  text.addEventListener("input", () => { count.textContent = String(text.value.length); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const anonymous = document.getElementById("qa-anonymous");
    const ack = await live.call("ask", { session_id: sessionId, text: text.value, anonymous: Boolean(anonymous && anonymous.checked) });
    if (ack.ok) {
      text.value = "";
      count.textContent = "0";
      result.textContent = ack.data.question.status === "pending" ? t.sent : t.sent_open;
      result.classList.remove("flash-error");
      live.upsertQuestion(ack.data.question);
    } else {
      result.textContent = ack.error.message;
      result.classList.add("flash-error");
    }
  });
  for (const button of document.querySelectorAll("[data-sort]")) {
    button.addEventListener("click", () => {
      order = button.dataset.sort;
      for (const b of document.querySelectorAll("[data-sort]")) b.setAttribute("aria-pressed", String(b === button));
      render(live.state);
    });
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
