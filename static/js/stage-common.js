// The stage's shared client: the /stage socket (join with `since`, snapshot or missed messages, state kept by id),
// join credentials, heartbeats, and Janus (vendored janus.js + adapter.js) publish/subscribe helpers.
// Every page exposes its state as window.eventhubStage for tests.
import { keepJanusAlive } from "./media-keepalive.js";
import { dataJSON, i18n } from "./qa-common.js";

export { dataJSON, i18n };

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

export function startStage({ sessionId, auth = {}, role = null, onChange = () => {}, onStatus = () => {} }) {
  const state = window.eventhubStage = window.eventhubStage || {};
  Object.assign(state, { sessionId, role, seq: null, stage: null, participants: new Map(), me: null,
                         status: "connecting", subscribers: {}, publisher: null, janus: null, stats: {} });
  const socket = window.io("/stage", { auth, transports: ["websocket", "polling"] });
  state.socket = socket;
  const apply = (m) => {
    if (state.seq !== null && m.seq <= state.seq) return;
    if (m.kind === "stage") state.stage = m.stage;
    if (m.kind === "participant") state.participants.set(m.participant.id, m.participant);
    state.seq = m.seq;
  };
  const join = () => {
    socket.emit("join", { session_id: sessionId, since: state.seq ?? undefined, role: role ?? undefined }, (ack) => {
      // Over the rate limit (a burst after a long outage): not a refusal, join again in a moment.
      if (ack && ack.error && ack.error.code === "rate_limited") { setTimeout(() => { if (socket.connected) join(); }, 2000); return; }
      if (!ack || !ack.ok) { state.status = "refused"; state.error = ack && ack.error; onStatus("refused", ack); return; }
      const d = ack.data;
      if (d.snapshot) {
        state.stage = d.snapshot.stage; state.me = d.snapshot.me; state.media = d.snapshot.media;
        state.participants = new Map(d.snapshot.participants.map((p) => [p.id, p]));
      } else for (const m of d.missed) apply(m);
      state.seq = d.seq; state.status = "live";
      onStatus("live"); onChange(state);
    });
  };
  socket.on("connect", join);
  socket.on("disconnect", () => { state.status = "offline"; onStatus("offline"); });
  socket.on("stage", (m) => { apply(m); onChange(state); });
  socket.on("stage_quality", (m) => {
    const old = state.participants.get(m.participant.id);
    state.participants.set(m.participant.id, { ...old, ...m.participant }); onChange(state);
  });
  // Reports and heartbeats are periodic: while the socket is down they are dropped, not queued (socket.io would
  // send the whole backlog at once on reconnect, ahead of the join, and run into the stage's rate limit).
  state.emit = (event, payload) => new Promise((resolve) => {
    if (!socket.connected && (event === "report" || event === "heartbeat")) { resolve(null); return; }
    socket.emit(event, { session_id: sessionId, ...payload }, resolve);
  });
  return state;
}

// --- credentials and Janus ----------------------------------------------------------------------------------

export async function credentials(state, { publish = false, role = null } = {}) {
  const ack = await state.emit("credentials", { publish, ...(role ? { role } : {}) });
  if (!ack || !ack.ok) throw Object.assign(new Error("refused"), { ack });
  state.creds = ack.data;
  if (!state.leaveHooked) {
    state.leaveHooked = true;  // hanging up: the token goes at once (janus.js destroys its session on unload)
    window.addEventListener("pagehide", () => { if (state.creds) state.socket.emit("leave", { session_id: state.sessionId, token: state.creds.token }); });
  }
  state.feedId = ack.data.feed_id;
  if (state.me) state.me.feed_id = ack.data.feed_id;
  clearInterval(state.heartbeat);
  const every = Math.max(5, Math.floor(ack.data.ttl / 3)) * 1000;
  state.heartbeat = setInterval(() => state.emit("heartbeat", { token: state.creds.token }).then((a) => {
    if (a && !a.ok && a.error.code === "token_expired") state.onExpired?.();
  }), every);
  return ack.data;
}

export function connectJanus(state, creds) {
  return new Promise((resolve, reject) => {
    if (!window.Janus) { reject(new Error("no janus.js")); return; }
    window.Janus.init({ debug: false, callback: () => {
      const janus = new window.Janus({
        server: creds.janus_urls, token: creds.token, iceServers: creds.ice_servers,
        iceTransportPolicy: window.eventhubStageForceRelay ? "relay" : (creds.ice_transport_policy || "all"),
        success: () => {
          state.janus = janus;
          // janus.js keeps HTTP sessions alive only by its long poll (30 s) — past Janus's 15 s session timeout.
          state.stopKeepalive?.();
          state.stopKeepalive = keepJanusAlive(janus, { server: creds.janus_urls, token: creds.token, every: creds.keepalive_ms });
          resolve(janus);
        },
        error: (e) => { state.janusError = String(e); reject(e); state.onJanusLost?.(); },
        destroyed: () => { state.janus = null; },
      });
    } });
  });
}

export function publish(state, { stream = null, audio = true, video = true, display, feedId, screen = false }) {
  const creds = state.creds;
  return new Promise((resolve, reject) => {
    state.janus.attach({
      plugin: "janus.plugin.videoroom",
      success: (h) => {
        state.publisher = h;
        h.send({ message: { request: "join", ptype: "publisher", room: creds.room, id: feedId,
                            display, token: creds.token } });
      },
      error: reject,
      onmessage: (msg, jsep) => {
        const h = state.publisher;
        if (msg.videoroom === "joined") {
          const tracks = [];
          if (stream) for (const t of stream.getTracks()) tracks.push({ type: t.kind, capture: t, recv: false,
                                                                      simulcast: t.kind === "video" && !screen });
          else {
            if (audio) tracks.push({ type: "audio", capture: audio, recv: false });
            if (video) tracks.push({ type: "video", capture: video, recv: false, simulcast: true });
          }
          h.createOffer({ tracks, success: (offer) => h.send({ message: { request: "publish" }, jsep: offer }),
                          error: reject });
        } else if (msg.error) reject(Object.assign(new Error(msg.error), { code: msg.error_code }));
        if (jsep) { h.handleRemoteJsep({ jsep }); resolve(h); }
      },
      onlocaltrack: (track, on) => state.onLocalTrack?.(track, on),
      oncleanup: () => state.onPublisherCleanup?.(),
    });
  });
}

export function subscribe(state, feedId, { onTrack, audioOnly = false }) {
  const creds = state.creds;
  return new Promise((resolve, reject) => {
    let handle;
    state.janus.attach({
      plugin: "janus.plugin.videoroom",
      success: (h) => {
        handle = h;
        h.send({ message: { request: "join", ptype: "subscriber", room: creds.room, streams: [{ feed: feedId }],
                            token: creds.token } });
      },
      error: reject,
      onmessage: (msg, jsep) => {
        if (msg.error) { handle.detach(); reject(Object.assign(new Error(msg.error), { code: msg.error_code })); return; }
        if (msg.videoroom === "event" && (msg.unpublished || msg.leaving || msg.kicked)) { dropped(state, feedId); return; }
        if (msg.videoroom === "attached") {
          state.subscribers[feedId] = { handle, streams: msg.streams || [] };
          if (audioOnly) setAudioOnly(state, feedId, true);
        }
        if (jsep) handle.createAnswer({ jsep, tracks: [{ type: "data" }],
          success: (answer) => { handle.send({ message: { request: "start", room: creds.room }, jsep: answer }); resolve(handle); },
          error: reject });
      },
      onremotetrack: (track, mid, on) => onTrack(feedId, track, mid, on),
      oncleanup: () => dropped(state, feedId),
    });
  });
}

// The publisher went away (network drop, rejoin, Janus restart): forget the subscription and try again soon.
function dropped(state, feedId) {
  const sub = state.subscribers[feedId];
  if (sub) { delete state.subscribers[feedId]; try { sub.handle.detach(); } catch { /* gone already */ } }
  setTimeout(() => state.resync?.(), 1000);
}

export function unsubscribe(state, feedId) {
  const sub = state.subscribers[feedId];
  if (sub) { sub.handle.detach(); delete state.subscribers[feedId]; }
}

function videoMids(sub) { return (sub.streams || []).filter((s) => s.type === "video").map((s) => s.mid); }

export function setAudioOnly(state, feedId, on) {
  const sub = state.subscribers[feedId];
  if (sub) sub.handle.send({ message: { request: "configure", streams: videoMids(sub).map((mid) => ({ mid, send: !on })) } });
}

export function setLayer(state, feedId, substream) {
  const sub = state.subscribers[feedId];
  if (sub) sub.handle.send({ message: { request: "configure", streams: videoMids(sub).map((mid) => ({ mid, substream })) } });
}

// --- a speaker's own microphone (panelists, an attendee with the floor) ---------------------------------------

// The audio m-lines this publisher sends (their mids, from its PeerConnection).
export function audioMids(handle) {
  const pc = pcOf(handle);
  return pc ? pc.getTransceivers().filter((x) => x.mid !== null && x.receiver.track.kind === "audio").map((x) => x.mid) : [];
}

// Self-mute: the microphone track is disabled (nothing captured) AND Janus stops relaying the publisher's audio
// (VideoRoom publisher `configure` with `mid` + `send`: Janus 1.1 takes one mid per request), so nobody receives it
// whatever the page does next; a disabled track alone still sends silence that the hall receives. A stage
// manager's mute (`moderate`) is another flag in Janus's VideoRoom (`muted`, not `active`): unmuting oneself
// should not lift it. The managers see it (`self_mute`). Call again after every (re)publish: a new publisher
// starts relayed.
export function setSelfMute(state, stream, muted) {
  for (const a of stream ? stream.getAudioTracks() : []) a.enabled = !muted;
  state.selfMuted = muted;
  if (state.publisher) {
    for (const mid of audioMids(state.publisher)) state.publisher.send({ message: { request: "configure", mid, send: !muted } });
  }
  return state.creds ? state.emit("self_mute", { token: state.creds.token, muted }) : Promise.resolve(null);
}

// The switch says what it will do; the banner (#self-muted) says what is true now.
export function showSelfMute(button, muted, t) {
  button.textContent = muted ? t.unmute : t.mute;
  button.dataset.muted = String(muted);
  const banner = document.getElementById("self-muted");
  if (banner) banner.hidden = !muted;
}

// "I've finished": the floor ends the speaker's own turn; the stage's broadcast then sends them backstage (the
// pages follow it). Resolves to the error message, or "" once done.
// Offline it is not queued: socket.io would send it on reconnect, maybe ending a turn given since.
export async function finishTurn(state, button, offline = "…") {
  if (!state.socket.connected) return offline;
  button.disabled = true;
  const ack = await new Promise((resolve) => state.socket.timeout(10000).emit(
    "finish_turn", { session_id: state.sessionId }, (err, a) => resolve(err ? null : a)));
  button.disabled = false;
  return ack && ack.ok ? "" : ((ack && ack.error && ack.error.message) || offline);
}

// --- quality: getStats every few seconds ---------------------------------------------------------------------

export function watchStats(state, pc, onFigures, every = 3000) {
  let last = null;
  return setInterval(async () => {
    if (!pc()) return;
    const report = await pc().getStats();
    let bytes = 0, lost = 0, packets = 0, rtt = null;
    report.forEach((s) => {
      if (s.type === "inbound-rtp" || s.type === "outbound-rtp") { bytes += s.bytesReceived || s.bytesSent || 0; packets += s.packetsReceived || s.packetsSent || 0; lost += s.packetsLost || 0; }
      if (s.type === "remote-inbound-rtp") lost += s.packetsLost || 0;
      if (s.type === "candidate-pair" && s.nominated && s.currentRoundTripTime) rtt = s.currentRoundTripTime * 1000;
    });
    const now = performance.now();
    if (last) {
      const kbps = ((bytes - last.bytes) * 8) / (now - last.at);
      const dp = packets - last.packets, dl = lost - last.lost;
      const loss = dp + dl > 0 ? Math.max(0, (100 * dl) / (dp + dl)) : 0;
      const figures = { bitrate_kbps: Math.max(0, Math.round(kbps)), loss_pct: Math.round(loss * 10) / 10,
                        ...(rtt !== null ? { rtt_ms: Math.round(rtt) } : {}), weak: loss > 5 || (rtt !== null && rtt > 800) };
      state.stats = figures; onFigures(figures);
    }
    last = { bytes, packets, lost, at: now };
  }, every);
}

export function tile(p, t) {
  return el("figure", { class: "stage-tile", "data-feed-id": p.feed_id, "data-participant": p.id },
    el("video", { autoplay: true, playsinline: true }),
    el("figcaption", {}, el("strong", { dir: "auto", text: p.role === "room_feed" ? (t.room_feed || p.display) : p.display }),
      el("span", { class: "stage-tile-title", dir: "auto", text: [p.title, p.country].filter(Boolean).join(" · ") })));
}

export function attachTrack(container, track, on) {
  const video = container.querySelector("video");
  if (!video) return;
  if (!video.srcObject) video.srcObject = new MediaStream();
  const ms = video.srcObject;
  if (on) { ms.getTracks().filter((x) => x.kind === track.kind).forEach((x) => ms.removeTrack(x)); ms.addTrack(track); }
  else ms.removeTrack(track);
  video.play().catch(() => { document.body.classList.add("stage-needs-click"); });
}

// Whom to receive: publishers that say they are connected; one whose socket dropped ("reconnecting") is kept if
// already received (its media may well go on: never cut what Janus still carries).
export function receivable(state, p) {
  return p.connection === "joined" || (p.connection === "reconnecting" && !!state.subscribers[p.feed_id]);
}

// Keep one subscription per wanted feed; a feed not publishing yet (Janus 428) is retried.
export function syncFeeds(state, wanted, onTrack, opts = {}) {
  state.pending = state.pending || new Set();
  state.resync = () => syncFeeds(state, state.wanted || wanted, onTrack, opts);
  // A publisher back to "joined" after a drop has published anew (Janus does not always tell the old subscription):
  // subscribe anew. Costs a short glitch after a socket-only drop; never leaves a dead picture on the screen.
  state.lastConnection = state.lastConnection || new Map();
  for (const p of state.participants.values()) {
    const before = state.lastConnection.get(p.feed_id);
    if (p.connection === "joined" && before && before !== "joined" && state.subscribers[p.feed_id]) unsubscribe(state, p.feed_id);
    if (p.connection) state.lastConnection.set(p.feed_id, p.connection);
  }
  for (const feed of Object.keys(state.subscribers).map(Number)) if (!wanted.has(feed)) unsubscribe(state, feed);
  if (!state.janus) return;
  for (const feed of wanted) {
    if (state.subscribers[feed] || state.pending.has(feed)) continue;
    state.pending.add(feed);
    subscribe(state, feed, { onTrack, audioOnly: opts.audioOnly?.() }).then(
      () => state.pending.delete(feed),
      // Not publishing yet (428) or gone: retry only while it is still wanted (state.wanted is the latest set).
      () => setTimeout(() => { state.pending.delete(feed); if ((state.wanted || wanted).has(feed)) state.resync(); }, 2000));
  }
}

// Receive-only join: credentials, Janus session; on a lost Janus session or expired token, start again.
export async function joinReceiver(state, { role = null, onReady, onError }) {
  try {
    const creds = await credentials(state, { publish: false, role });
    await connectJanus(state, creds);
    onReady();
  } catch (e) {
    onError(e);
    setTimeout(() => joinReceiver(state, { role, onReady, onError }), 3000);
  }
  state.onJanusLost = () => { state.subscribers = {}; state.pending = new Set(); setTimeout(() => joinReceiver(state, { role, onReady, onError }), 1000); };
}

export function pcOf(handle) { return handle && handle.webrtcStuff ? handle.webrtcStuff.pc : null; }
