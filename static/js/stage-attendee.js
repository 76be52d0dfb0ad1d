// The remote attendee: the stage (room feed + live speakers), receive only; steps down by itself on a weak link
// (simulcast low layer, then audio only) and offers an "audio only" button.
import { attachTrack, i18n, joinReceiver, pcOf, setAudioOnly, setLayer, startStage, syncFeeds, tile, receivable } from "./stage-common.js";
import { attendeeSpeaker } from "./stage-speaker.js";
import { startListening } from "./stage-listen.js";

const root = document.getElementById("stage");
const t = root ? i18n(root) : {};

function onTrack(feed, track, _mid, on) {
  const box = document.querySelector(`#stage-live [data-feed-id="${feed}"]`);
  if (box) attachTrack(box, track, on);
}

function render(state) {
  // The room, live panelists and an attendee given the floor (oneself excepted: one does not receive oneself).
  const ownHand = state.speaker && state.speaker.handId;
  const own = (p) => p.role === "attendee" && !!ownHand && p.hand_id === ownHand;
  const shown = [...state.participants.values()].filter((p) => p.role === "room_feed" ||
    ((p.role === "panelist" || p.role === "attendee") && p.state === "live" && !own(p)));
  state.live = shown.map((p) => p.feed_id);
  const grid = document.getElementById("stage-live");
  for (const c of [...grid.children]) if (!state.live.includes(Number(c.dataset.feedId))) c.remove();
  for (const p of shown) if (!grid.querySelector(`[data-feed-id="${p.feed_id}"]`)) grid.append(tile(p, t));
  const s = state.stage || {};
  document.getElementById("stage-closed").hidden = s.state === "open" || s.state === "live";
  state.wanted = new Set(shown.filter((p) => receivable(state, p)).map((p) => p.feed_id));
  syncFeeds(state, state.wanted, onTrack, { audioOnly: () => state.layer === "audio" });
  state.updateSpeaker?.();
  state.listen?.floorChanged();
}

function applyLayer(state, layer) {
  state.layer = layer;
  for (const feed of Object.keys(state.subscribers).map(Number)) {
    setAudioOnly(state, feed, layer === "audio");
    if (layer !== "audio") setLayer(state, feed, layer === "low" ? 0 : 2);
  }
  document.getElementById("audio-only").setAttribute("aria-pressed", String(layer === "audio"));
  document.body.dataset.layer = layer;
}

// Weak link: loss above 5 % or bitrate collapsing for two readings → one step down (high → low → audio).
function adapt(state) {
  const last = new Map();
  let strikes = 0;
  setInterval(async () => {
    if (state.manualAudio) return;
    let lost = 0, packets = 0, frames = 0, freezes = 0, video = false;
    for (const sub of Object.values(state.subscribers)) {
      const pc = pcOf(sub.handle);
      if (!pc) continue;
      (await pc.getStats()).forEach((s) => {
        if (s.type !== "inbound-rtp") return;
        lost += s.packetsLost || 0; packets += s.packetsReceived || 0;
        if (s.kind === "video") { video = true; frames += s.framesDecoded || 0; freezes += s.freezeCount || 0; }
      });
    }
    const prev = last.get("all") || { lost, packets, frames, freezes };
    last.set("all", { lost, packets, frames, freezes });
    const dl = lost - prev.lost, dp = packets - prev.packets;
    const loss = dp + dl > 0 ? (100 * dl) / (dp + dl) : 0;
    const fps = (frames - prev.frames) / 2;
    state.stats = { loss_pct: Math.round(loss * 10) / 10, fps };
    // Weak: loss above 5 %, a freeze, or video crawling below 8 frames/s (the bitrate collapsed).
    const weak = loss > 5 || freezes > prev.freezes || (video && state.layer !== "audio" && prev.frames > 0 && fps < 8);
    strikes = weak ? strikes + 1 : 0;
    if (strikes >= 2) { strikes = 0; applyLayer(state, state.layer === "high" ? "low" : "audio"); }
  }, 2000);
}

function start() {
  if (!root || !window.io) return;
  const status = document.getElementById("stage-status");
  const state = startStage({ sessionId: Number(root.dataset.session), auth: { ticket: root.dataset.ticket }, role: "attendee",
    onChange: render, onStatus: (kind) => { status.textContent = kind === "live" ? "" : (t[kind] || kind); } });
  state.layer = "high";
  const media = root.dataset.media === "1";
  state.updateSpeaker = attendeeSpeaker(state, t, { media });  // the turn is shown even without media
  state.onHand = () => render(state);
  if (!media) return;  // the page says the media server is not available (#no-media)
  state.listen = startListening(state);
  joinReceiver(state, { role: "attendee", onReady: () => render(state), onError: () => {} });
  adapt(state);
  document.getElementById("audio-only").addEventListener("click", () => {
    state.manualAudio = state.layer !== "audio";
    applyLayer(state, state.manualAudio ? "audio" : "high");
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
