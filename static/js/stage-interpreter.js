// The interpreter's media: they hear the floor (the stage's live speakers and the room, receive only, through the
// /stage namespace with their personal link) or, relaying, another channel; "Start interpreting" publishes their
// microphone into their channel's AudioBridge room (the only room their token may join). The list, the speaker and the timer are floor-interpreter.js.
// State: window.eventhubInterp (and window.eventhubStage for the floor).
import { attachTrack, connectJanus, i18n, joinReceiver, receivable, startStage, syncFeeds, tile } from "./stage-common.js";
import { dominant, joinBridge, playThroughWebAudio, watchChannel } from "./interpretation.js";
import { levelMeter } from "./stage-prejoin.js";

const root = document.getElementById("stage");
const t = root ? i18n(root) : {};
const M = window.eventhubInterp = { joined: false, relaying: false, source: { source: "floor" }, janus: null };

function onTrack(feed, track, _mid, on) {
  const box = document.querySelector(`#stage-live [data-feed-id="${feed}"]`);
  if (box) attachTrack(box, track, on);
}

function floorLevel() {
  const level = M.source && M.source.source === "channel" ? 0 : 1;  // relaying: the source channel instead
  for (const v of document.querySelectorAll("#stage-live video")) { v.volume = level; v.muted = level === 0; }
}

function render(state) {
  const shown = [...state.participants.values()].filter((p) => p.role === "room_feed" ||
    ((p.role === "panelist" || p.role === "attendee") && p.state === "live"));
  const grid = document.getElementById("stage-live");
  for (const c of [...grid.children]) if (!shown.some((p) => p.feed_id === Number(c.dataset.feedId))) c.remove();
  for (const p of shown) if (!grid.querySelector(`[data-feed-id="${p.feed_id}"]`)) grid.append(tile(p, t));
  state.wanted = new Set(shown.filter((p) => receivable(state, p)).map((p) => p.feed_id));
  syncFeeds(state, state.wanted, onTrack, { audioOnly: () => true });  // an interpreter needs the sound only
  floorLevel();
}

async function floorCall(event, payload) {
  for (let i = 0; i < 50 && !window.eventhubFloor; i++) await new Promise((r) => setTimeout(r, 100));
  return window.eventhubFloor.call(event, payload);
}

function stopMic() {
  clearInterval(M.heartbeat);
  M.stream?.getTracks().forEach((x) => x.stop());
  M.relaySound?.source.disconnect(); M.relaySound?.gain.disconnect();
  try { M.janus?.destroy(); } catch { /* gone */ }
  M.stopKeepalive?.();
  Object.assign(M, { janus: null, mic: null, relay: null, relaySound: null, joined: false, relaying: false, stream: null });
}

// The button says what it will do, the banner what is happening: "ON AIR" while the microphone goes out.
function showMic() {
  const button = document.getElementById("interp-mic");
  button.setAttribute("aria-pressed", String(M.joined));
  button.textContent = M.joined ? t.stop_interpreting : t.start_interpreting;
  button.classList.toggle("primary", !M.joined);
  document.getElementById("interp-on-air").hidden = !M.joined;
  document.getElementById("floor-interpreter").classList.toggle("is-on-air", M.joined);
}

async function startMic(state) {
  const status = document.getElementById("interp-status");
  status.textContent = t.connecting;
  const ack = await floorCall("channel_media", { session_id: state.sessionId });
  if (!ack.ok) { status.textContent = ack.error.message || ack.error.code; return; }
  const creds = M.creds = ack.data;
  try {
    if (!M.stream) {
      M.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      levelMeter(M.stream, document.getElementById("mic-level"));  // they see their voice go out
    }
    await connectJanus(M, creds);
    M.heartbeat = setInterval(() => state.emit("heartbeat", { token: creds.token }), Math.max(5, Math.floor(creds.ttl / 3)) * 1000);
    M.mic = await joinBridge(M.janus, { room: creds.room, token: creds.token, display: creds.display, muted: false,
                                        track: M.stream.getAudioTracks()[0] });
    M.joined = true;
    if (creds.relay_mountpoint) {  // the source channel, heard like a listener hears it (receive only)
      M.ctx = M.ctx || new AudioContext();
      M.relay = await watchChannel(M.janus, { mountpoint: creds.relay_mountpoint, pin: creds.pin,
        onTrack: (track, on) => { if (on && track.kind === "audio") { M.relaySound = playThroughWebAudio(M.ctx, track, "relay-audio"); M.relaying = true; } } });
    }
    status.textContent = t.interp_on_air;
  } catch (e) {
    status.textContent = String((e && (e.message || e.code)) || e);
    stopMic();
  }
  showMic();
}

M.relayDominant = () => dominant(M.ctx, M.relaySound && M.relaySound.analyser);

function start() {
  if (!root || !window.io) return;
  const state = startStage({ sessionId: Number(root.dataset.session), auth: { interpreter_token: root.dataset.token },
                             role: "interpreter", onChange: render });
  document.addEventListener("floor:source", (e) => {
    const changed = JSON.stringify(e.detail) !== JSON.stringify(M.source);
    M.source = e.detail || { source: "floor" };
    floorLevel();
    if (changed && M.joined) { stopMic(); startMic(state); }  // the relay room's ACL comes with new credentials
  });
  if (root.dataset.media !== "1") return;
  joinReceiver(state, { role: "interpreter", onReady: () => render(state), onError: () => {} });
  document.getElementById("interp-mic").addEventListener("click", () => {
    if (M.joined) { stopMic(); showMic(); document.getElementById("interp-status").textContent = ""; }
    else startMic(state);
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
