// The remote panelist: pre-join (camera preview, microphone level, device choice, join muted), then backstage
// (sees and hears the live speakers and the room), ON AIR when a stage manager brings them live, self-mute,
// screen share when allowed. Rejoins by itself after a network drop; the stage manager sees "reconnecting".
// While the floor gives them the word (the /floor namespace, by the same personal link), their countdown and
// "I've finished", as an attendee's turn has.
import { attachTrack, connectJanus, credentials, dataJSON, finishTurn, i18n, pcOf, publish, setSelfMute, showSelfMute, startStage, syncFeeds, tile, watchStats, receivable } from "./stage-common.js";
import { showCountdown, startFloor } from "./floor-common.js";
import { preview as previewDevices } from "./stage-prejoin.js";

const root = document.getElementById("stage");
const t = root ? i18n(root) : {};
let stream = null;

async function preview() { stream = await previewDevices(stream); }

function onTrack(feed, track, _mid, on) {
  const box = document.querySelector(`#stage-live [data-feed-id="${feed}"]`);
  if (box) attachTrack(box, track, on);
}

function render(state) {
  const mine = state.me && state.participants.get(state.me.participant_id);
  state.state = mine ? mine.state : null;
  // "ON AIR" once they publish; brought live before joining, they are told to join (nobody hears them yet).
  document.getElementById("on-air").hidden = !(mine && mine.state === "live" && state.joined);
  document.getElementById("on-air-join").hidden = !(mine && mine.state === "live" && !state.joined);
  document.getElementById("backstage").hidden = !(mine && mine.state === "backstage" && state.joined);
  document.getElementById("removed").hidden = !(mine && mine.state === "removed");
  document.getElementById("muted-by-manager").hidden = !(mine && mine.muted);
  document.getElementById("share").hidden = !(mine && mine.screen_share_allowed && state.joined);
  document.body.classList.toggle("is-on-air", !!(mine && mine.state === "live" && state.joined));
  if (mine && mine.state === "removed") { state.janus?.destroy(); return; }
  if (!state.joined) return;
  const others = [...state.participants.values()].filter((p) => p.id !== state.me.participant_id &&
    (p.role === "room_feed" || p.state === "live"));
  const grid = document.getElementById("stage-live");
  for (const c of [...grid.children]) if (!others.some((p) => p.feed_id === Number(c.dataset.feedId))) c.remove();
  for (const p of others) if (!grid.querySelector(`[data-feed-id="${p.feed_id}"]`)) grid.append(tile(p, t));
  state.wanted = new Set(others.filter((p) => receivable(state, p)).map((p) => p.feed_id));
  syncFeeds(state, state.wanted, onTrack);
}

async function join(state) {
  const status = document.getElementById("stage-status");
  try {
    status.textContent = t.connecting;
    const creds = await credentials(state, { publish: true, role: "panelist" });
    state.feedId = creds.feed_id;
    await connectJanus(state, creds);
    if (!stream) await preview();
    if (state.selfMuted) stream.getAudioTracks().forEach((a) => { a.enabled = false; });
    await publish(state, { stream, display: creds.display, feedId: creds.feed_id });
    // Joined muted, or muted before a rejoin: the new publisher is relayed until Janus is told otherwise.
    if (state.selfMuted) setSelfMute(state, stream, true);
    state.joined = true; status.textContent = "";
    state.emit("report", { token: creds.token, connection: "joined" });
    document.getElementById("prejoin").hidden = true;
    document.getElementById("joined").hidden = false;
    clearInterval(state.statsTimer);
    state.statsTimer = watchStats(state, () => pcOf(state.publisher),
      (q) => state.emit("report", { token: state.creds.token, connection: "joined", quality: q }));
    render(state);
  } catch (e) {
    const code = e.ack && e.ack.error && e.ack.error.code;
    status.textContent = (e.ack && e.ack.error && e.ack.error.message) || t.reconnecting;
    if (code === "removed_from_stage" || code === "not_on_this_stage" || code === "stage_closed") return;
    rejoin(state);
  }
}

function rejoin(state) {
  if (state.rejoining) return;
  state.rejoining = true; state.joined = false;
  if (state.creds) state.emit("report", { token: state.creds.token, connection: "reconnecting" });
  setTimeout(() => { state.rejoining = false; state.subscribers = {}; state.pending = new Set(); join(state); }, 1500);
}

// The floor, read by the panelist's link: their own speech (running, or paused by an interjection) shows the
// countdown and "I've finished"; anything else hides them.
function followFloor(state, sessionId) {
  const box = document.getElementById("my-floor");
  const timer = document.getElementById("my-floor-timer");
  const finish = document.getElementById("finish");
  const out = document.getElementById("finish-status");
  const ft = dataJSON(root, "floorI18n");
  const live = startFloor({ sessionId, auth: { panelist_token: root.dataset.token } });
  state.floor = live;
  const mine = () => {
    const me = live.info.panelist_id, f = live.state;
    if (!me || !f) return null;
    return (f.current && f.current.panelist_id === me) ? f.current : (f.paused.find((p) => p.panelist_id === me) || null);
  };
  setInterval(() => {
    const speech = mine();
    if (!speech) out.textContent = "";  // an earlier refusal is moot once the turn is over
    box.hidden = !speech;
    showCountdown(timer, speech, live.now(), ft);
  }, 250);
  finish.addEventListener("click", async () => { out.textContent = await finishTurn(state, finish, t.offline); });
}

function start() {
  if (!root || !window.io) return;
  const sessionId = Number(root.dataset.session);
  const state = startStage({ sessionId, auth: { panelist_token: root.dataset.token }, role: "panelist", onChange: render,
    onStatus: (kind) => { if (kind === "live" && state.joined === false && state.creds) rejoin(state); } });
  state.onJanusLost = () => rejoin(state);
  state.onExpired = () => rejoin(state);
  followFloor(state, sessionId);  // the floor is theirs to give back with or without media
  if (root.dataset.media !== "1") return;  // the page says the media server is not available (#no-media)
  document.getElementById("check").addEventListener("click", () => preview().catch(() => {}));
  for (const id of ["camera", "microphone"]) document.getElementById(id).addEventListener("change", () => preview().catch(() => {}));
  const muteButton = document.getElementById("mute");
  document.getElementById("join").addEventListener("click", () => {
    state.selfMuted = document.getElementById("join-muted").checked;
    showSelfMute(muteButton, state.selfMuted, t);
    join(state);
  });
  muteButton.addEventListener("click", () => {
    const muted = !state.selfMuted;
    setSelfMute(state, stream, muted);
    showSelfMute(muteButton, muted, t);
  });
  document.getElementById("share").addEventListener("click", async () => {
    const screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
    const track = screen.getVideoTracks()[0];
    state.publisher.replaceTracks({ tracks: [{ type: "video", mid: "1", capture: track }] });
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
