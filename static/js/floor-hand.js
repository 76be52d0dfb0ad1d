// The floor on the live page: who speaks and their countdown, "ask for the floor" (with an optional one-line
// topic) and the requester's own state live, and the language to listen in (interpretation channels). The sound
// plays on the stage page only: on the Q&A page a ticket's turn and the interpretation point to the stage page.
import { dataJSON, el, i18n, showCountdown, startFloor } from "./floor-common.js";

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
  const onStage = !!document.getElementById("stage");
  const goStage = document.getElementById("floor-go-stage");
  const langStage = document.getElementById("floor-lang-stage");
  const finishRow = document.getElementById("floor-finish-row");
  const finishStatus = document.getElementById("floor-finish-status");
  const languages = dataJSON(root, "languages");
  let live = null;
  let canAsk = false;

  function myHand() {
    const mine = [...live.hands.values()].filter((h) => h.mine).sort((a, b) => b.id - a.id);
    return mine[0] || null;
  }

  // The list entry of one's accepted hand while it is waiting or speaking (gone once the turn is done).
  function mySpeaker(hand) {
    if (!hand || hand.status !== "accepted" || !live.state) return null;
    return live.state.speakers.find((s) => s.hand_id === hand.id) || null;
  }

  function render() {
    const state = live.state;
    const speaking = document.getElementById("floor-speaking");
    const [before, after = ""] = (t.now_speaking || "{name}").split("{name}");
    speaking.replaceChildren(state && state.current
      ? el("strong", {}, before, el("bdi", { text: state.current.name }), after)
      : el("span", { class: "muted", text: t.nobody }));
    const hand = myHand();
    const me = mySpeaker(hand);
    // The stage page brings an accepted attendee on when their turn starts (stage-speaker.js).
    document.dispatchEvent(new CustomEvent("floor:hand", { detail: hand }));
    const open = state && state.settings && state.settings.hands_open;
    form.hidden = !canAsk || !open || (hand && hand.status === "pending") || !!me;  // asked, or on the list
    withdraw.hidden = !(hand && hand.status === "pending");
    stateLine.textContent = hand ? (t[`hand_${hand.status}`] || "") : "";
    stateLine.dataset.status = hand ? hand.status : "";
    if (me && me.state === "speaking") stateLine.textContent = t.you_speak;
    if (goStage) goStage.hidden = !(me && me.state === "speaking" && hand.remote);
    const finishing = !!(me && me.state === "speaking" && !hand.remote);
    if (!finishing) finishStatus.textContent = "";  // an earlier refusal is moot once the turn is over
    finishRow.hidden = !finishing;
    if (live.channels.length && onStage && lang.options.length === 1) {
      for (const c of live.channels) {
        const name = languages[c.language] || c.language;
        lang.append(el("option", { value: c.language, text: name.charAt(0).toUpperCase() + name.slice(1) }));
      }
      langRow.hidden = false;
      let saved = "";
      try { saved = localStorage.getItem(langKey) || ""; } catch { saved = ""; }
      if (saved && live.channels.some((c) => c.language === saved)) { lang.value = saved; listen(); }
    }
    if (langStage) {
      langStage.hidden = !live.channels.length;
      const names = live.channels.map((c) => languages[c.language] || c.language).join(", ");
      langStage.querySelector("span").textContent = langStage.dataset.text.replace("{languages}", names);
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
    const mine = document.getElementById("my-turn-timer");  // the stage page's "You have the floor" panel
    setInterval(() => {
      const cur = (live.state && live.state.current) || null;
      showCountdown(timer, cur, live.now(), t);
      if (mine) {  // their own speech, running or paused (an interjection): the countdown stays on screen
        const me = mySpeaker(myHand());
        const own = !me || !live.state ? null : (cur && cur.speaker_id === me.id ? cur
          : live.state.paused.find((p) => p.speaker_id === me.id) || null);
        showCountdown(mine, own, live.now(), t);
      }
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
  const finish = document.getElementById("floor-finish");
  finish.addEventListener("click", async () => {
    finish.disabled = true;
    const ack = await live.call("finish_turn", { session_id: sessionId });
    finish.disabled = false;
    finishStatus.textContent = ack.ok ? "" : (ack.error.message || t.offline);
  });
}
