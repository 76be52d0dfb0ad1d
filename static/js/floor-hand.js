// The floor on the live page: who speaks and their countdown, "ask for the floor" (with an optional one-line
// topic) and the requester's own state live, and the language to listen in (interpretation channels).
import { countdown, el, i18n, startFloor } from "./floor-common.js";

const root = document.getElementById("floor-live");
const qa = document.getElementById("qa");

// The same identity as the Q&A page: ticket link (remembered for the event), signed in, or anonymous key.
async function identity() {
  const ticketKey = `eventhub-qa-ticket-${qa.dataset.event}`;
  if (qa.dataset.ticket) return { ticket: qa.dataset.ticket };
  if (qa.dataset.signedIn) return {};
  let remembered = null;
  try { remembered = localStorage.getItem(ticketKey); } catch { remembered = null; }
  if (remembered) return { ticket: remembered };
  if (!qa.dataset.anonymousAllowed) return null;
  const storeKey = `eventhub-qa-participant-${qa.dataset.session}`;
  let key = null;
  try { key = localStorage.getItem(storeKey); } catch { key = null; }
  if (!key) {
    const response = await fetch(qa.dataset.participantUrl, { credentials: "same-origin" });
    if (!response.ok) return null;
    key = (await response.json()).participant;
    try { localStorage.setItem(storeKey, key); } catch { /* not remembered */ }
  }
  return { participant: key };
}

if (root && qa) {
  const t = i18n(root);
  const sessionId = Number(root.dataset.session);
  const form = document.getElementById("floor-hand");
  const stateLine = document.getElementById("floor-hand-state");
  const withdraw = document.getElementById("floor-withdraw");
  const langRow = document.getElementById("floor-lang-row");
  const lang = document.getElementById("floor-lang");
  const langKey = `eventhub-floor-lang-${sessionId}`;
  let live = null;
  let canAsk = false;

  function myHand() {
    const mine = [...live.hands.values()].filter((h) => h.mine).sort((a, b) => b.id - a.id);
    return mine[0] || null;
  }

  function render() {
    const state = live.state;
    const speaking = document.getElementById("floor-speaking");
    speaking.replaceChildren(state && state.current
      ? el("strong", { dir: "auto", text: `${t.speaking}: ${state.current.name}` })
      : el("span", { class: "muted", text: t.nobody }));
    const hand = myHand();
    // The stage page brings an accepted attendee on when their turn starts (stage-speaker.js).
    document.dispatchEvent(new CustomEvent("floor:hand", { detail: hand }));
    const open = state && state.settings && state.settings.hands_open;
    form.hidden = !canAsk || !open || (hand && hand.status === "pending");
    withdraw.hidden = !(hand && hand.status === "pending");
    stateLine.textContent = hand ? (t[`hand_${hand.status}`] || "") : "";
    stateLine.dataset.status = hand ? hand.status : "";
    if (hand && hand.status === "accepted" && state) {
      const me = state.speakers.find((s) => s.hand_id === hand.id);
      if (me && me.state === "speaking") stateLine.textContent = t.you_speak;
    }
    if (live.channels.length && lang.options.length === 1) {
      for (const c of live.channels) lang.append(el("option", { value: c.language, text: c.language }));
      langRow.hidden = false;
      let saved = "";
      try { saved = localStorage.getItem(langKey) || ""; } catch { saved = ""; }
      if (saved && live.channels.some((c) => c.language === saved)) { lang.value = saved; listen(); }
    }
  }

  async function listen() {
    try { localStorage.setItem(langKey, lang.value); } catch { /* not remembered */ }
    // On the stage page (which plays the sound) the answer also carries the channel's Janus credentials.
    const media = !!document.querySelector('#stage[data-media="1"]');
    const ack = await live.call("listen", { session_id: sessionId, language: lang.value || null, media });
    const out = document.getElementById("floor-listen");
    out.textContent = ack.ok ? "" : (ack.error.message || ack.error.code);
    out.dataset.source = ack.ok ? ack.data.listen.source : "";
    out.dataset.channel = ack.ok && ack.data.listen.channel_id ? String(ack.data.listen.channel_id) : "";
    // The stage's media layer subscribes to ack.data.listen (the floor, or the channel's AudioBridge room).
    document.dispatchEvent(new CustomEvent("floor:listen", { detail: ack.ok ? ack.data.listen : null }));
  }

  identity().then((auth) => {
    canAsk = auth !== null;
    live = startFloor({ sessionId, auth: auth || {}, onChange: render, onStatus: () => {} });
    const timer = document.getElementById("floor-public-timer");
    setInterval(() => {
      const cur = live.state && live.state.current;
      if (!cur) { timer.textContent = ""; timer.dataset.level = "none"; return; }
      const c = countdown(cur, live.now(), t);
      timer.textContent = c.label ? `${c.text} · ${c.label}` : c.text;
      timer.dataset.level = c.level;
    }, 250);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const topic = document.getElementById("floor-topic").value;
    const ack = await live.call("raise_hand", { session_id: sessionId, topic,
                                                in_room: document.getElementById("floor-in-room").checked });
    if (ack.ok) { live.hands.set(ack.data.hand.id, ack.data.hand); render(); }
    else stateLine.textContent = ack.error.message || ack.error.code;
  });
  withdraw.addEventListener("click", async () => {
    const hand = myHand();
    if (!hand) return;
    const ack = await live.call("withdraw_hand", { hand_id: hand.id });
    if (ack.ok) { live.hands.set(ack.data.hand.id, ack.data.hand); render(); }
  });
  lang.addEventListener("change", listen);
}
