// The hall's screen: live remote speakers large (name, title, country), the active speaker highlighted from the
// audio level, the pinned question when the stage manager shows it (from the Q&A), their audio on the loudspeakers.
import { attachTrack, i18n, joinReceiver, pcOf, startStage, syncFeeds, tile, receivable } from "./stage-common.js";
import { startQa } from "./qa-common.js";

const root = document.getElementById("stage");
const t = root ? i18n(root) : {};

function onTrack(feed, track, _mid, on) {
  const box = document.querySelector(`#stage-live [data-feed-id="${feed}"]`);
  if (box) attachTrack(box, track, on);
}

// Every connected remote panelist is received (hidden and silent while backstage), so "bring live" only has to
// show the tile and open its sound: no subscription, no keyframe wait on the switch.
function render(state) {
  const panel = [...state.participants.values()].filter((p) => (p.role === "panelist" || p.role === "attendee") && p.state !== "removed");
  const live = panel.filter((p) => p.state === "live");
  state.live = live.map((p) => p.feed_id);
  const grid = document.getElementById("stage-live");
  const keep = new Set(panel.map((p) => p.feed_id));
  for (const c of [...grid.children]) if (!keep.has(Number(c.dataset.feedId))) c.remove();
  for (const p of panel) {
    let box = grid.querySelector(`[data-feed-id="${p.feed_id}"]`);
    if (!box) { box = tile(p, t); grid.append(box); }
    const on = p.state === "live";
    box.hidden = !on;
    const video = box.querySelector("video");
    video.muted = !on;
    if (on) video.play().catch(() => document.body.classList.add("stage-needs-click"));
  }
  grid.dataset.count = String(live.length);
  const spot = state.stage && state.stage.spotlight_id;
  for (const c of grid.children) c.classList.toggle("is-spotlight", Number(c.dataset.participant) === spot);
  document.getElementById("stage-empty").hidden = live.length > 0;
  document.getElementById("stage-question").hidden = !(state.stage && state.stage.show_question && state.pinned);
  // Only publishers that say they are connected: a panelist who left or dropped is not retried against Janus.
  state.wanted = new Set(panel.filter((p) => receivable(state, p)).map((p) => p.feed_id));
  syncFeeds(state, state.wanted, onTrack);
}

function activeSpeaker(state) {
  setInterval(async () => {
    let best = null, level = 0.02;
    for (const [feed, sub] of Object.entries(state.subscribers)) {
      const pc = pcOf(sub.handle);
      if (!pc) continue;
      (await pc.getStats()).forEach((s) => {
        if (s.type === "inbound-rtp" && s.kind === "audio" && (s.audioLevel || 0) > level) { level = s.audioLevel; best = Number(feed); }
      });
    }
    state.activeFeed = best;
    for (const c of document.getElementById("stage-live").children) c.classList.toggle("is-speaking", Number(c.dataset.feedId) === best);
  }, 400);
}

function start() {
  if (!root || !window.io) return;
  const status = document.getElementById("stage-status");
  const sessionId = Number(root.dataset.session);
  const state = startStage({ sessionId, auth: { key: root.dataset.key }, role: "screen", onChange: render,
    onStatus: (kind) => { status.textContent = kind === "live" ? "" : (t[kind] || kind); } });
  if (root.dataset.media !== "1") { status.textContent = t.no_media; return; }
  joinReceiver(state, { role: "screen", onReady: () => render(state), onError: () => {} });
  activeSpeaker(state);
  document.body.addEventListener("click", () => {
    document.body.classList.remove("stage-needs-click");
    document.querySelectorAll("video").forEach((v) => v.play().catch(() => {}));
  });
  startQa({ sessionId, onChange: (qa) => {
    const pinned = [...qa.questions.values()].find((q) => q.pinned && (q.status === "approved" || q.status === "answered"));
    state.pinned = pinned || null;
    const box = document.getElementById("stage-question");
    box.querySelector(".stage-question-text").textContent = pinned ? pinned.text : "";
    box.querySelector(".stage-question-author").textContent = pinned ? (pinned.author || "") : "";
    render(state);
  } });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
