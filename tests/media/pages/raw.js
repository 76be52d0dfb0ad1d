// The smoke test's client: plain janus.js, no EventHub code. window.raw.publish(cfg) / window.raw.subscribe(cfg)
// resolve once Janus accepted the offer/answer; window.raw.stats() reports what the peer connection sees.
/* global Janus */
(function () {
  "use strict";
  const state = { janus: null, handle: null, feedId: null, firstFrameAt: null, error: null, events: [] };
  window.raw = state;

  function connect(cfg) {
    return new Promise((resolve, reject) => {
      Janus.init({ debug: false, callback: () => {
        const janus = new Janus({
          server: cfg.server, token: cfg.token, iceServers: cfg.iceServers || [], keepAlivePeriod: 5000,
          iceTransportPolicy: cfg.iceTransportPolicy || "all",
          success: () => { window.keepJanusAlive(janus, { server: cfg.server, token: cfg.token }); resolve(janus); }, error: (e) => reject(new Error(String(e))),
        });
        state.janus = janus;
      } });
    });
  }

  function attach(janus, onmessage, extra) {
    return new Promise((resolve, reject) => {
      janus.attach(Object.assign({
        plugin: "janus.plugin.videoroom",
        success: resolve, error: (e) => reject(new Error(String(e))),
        onmessage: onmessage,
      }, extra || {}));
    });
  }

  state.publish = async function (cfg) {
    const janus = await connect(cfg);
    let handle;
    const done = new Promise((resolve, reject) => {
      state._pub = { resolve, reject };
    });
    handle = await attach(janus, (msg, jsep) => {
      state.events.push(msg.videoroom || msg.error || "?");
      if (msg.error) { state.error = msg.error; state._pub.reject(new Error(msg.error)); return; }
      if (msg.videoroom === "joined") {
        state.feedId = msg.id;
        handle.createOffer({
          tracks: [{ type: "audio", capture: true, recv: false },
                   { type: "video", capture: true, recv: false, simulcast: !!cfg.simulcast }],
          success: (offer) => handle.send({ message: { request: "configure", audio: true, video: true }, jsep: offer }),
          error: (e) => state._pub.reject(new Error(String(e && e.message || e))),
        });
      }
      if (jsep) { handle.handleRemoteJsep({ jsep: jsep }); state._pub.resolve(state.feedId); }
    });
    state.handle = handle;
    handle.send({ message: { request: "join", ptype: "publisher", room: cfg.room, display: cfg.display || "pub",
                             token: cfg.token } });
    return done;
  };

  state.subscribe = async function (cfg) {
    const janus = await connect(cfg);
    const video = document.getElementById("remote");
    const audio = document.getElementById("remote-audio");
    let handle;
    const done = new Promise((resolve, reject) => { state._sub = { resolve, reject }; });
    handle = await attach(janus, (msg, jsep) => {
      state.events.push(msg.videoroom || msg.error || "?");
      if (msg.error) { state.error = msg.error; state._sub.reject(new Error(msg.error)); return; }
      if (jsep) {
        handle.createAnswer({
          jsep: jsep, tracks: [{ type: "data" }],
          success: (answer) => { handle.send({ message: { request: "start", room: cfg.room }, jsep: answer });
                                 state._sub.resolve(true); },
          error: (e) => state._sub.reject(new Error(String(e && e.message || e))),
        });
      }
    }, {
      onremotetrack: (track, mid, on) => {
        if (!on) return;
        const el = track.kind === "video" ? video : audio;
        el.srcObject = new MediaStream([track]);
        if (track.kind === "video" && video.requestVideoFrameCallback) {
          video.requestVideoFrameCallback(() => { state.firstFrameAt = performance.now(); });
        }
      },
    });
    state.handle = handle;
    handle.send({ message: { request: "join", ptype: "subscriber", room: cfg.room,
                             streams: [{ feed: cfg.feed }], token: cfg.token } });
    return done;
  };

  state.setSubstream = function (substream) {
    state.handle.send({ message: { request: "configure", substream: substream } });
  };

  state.stats = async function () {
    const pc = state.handle && state.handle.webrtcStuff && state.handle.webrtcStuff.pc;
    const out = { video: null, audio: null, outVideo: [], pair: null, videoWidth: document.getElementById("remote").videoWidth };
    if (!pc) return out;
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") out.video = { framesDecoded: s.framesDecoded, bytes: s.bytesReceived, width: s.frameWidth, height: s.frameHeight, packets: s.packetsReceived };
      if (s.type === "inbound-rtp" && s.kind === "audio") out.audio = { packets: s.packetsReceived, bytes: s.bytesReceived, energy: s.totalAudioEnergy, level: s.audioLevel };
      if (s.type === "outbound-rtp" && s.kind === "video") out.outVideo.push({ rid: s.rid, width: s.frameWidth, bytes: s.bytesSent, limit: s.qualityLimitationReason });
      if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") out.pair = { local: s.localCandidateId, remote: s.remoteCandidateId, rtt: s.currentRoundTripTime };
    });
    if (out.pair) {
      const local = report.get(out.pair.local);
      out.pair.localType = local && local.candidateType;
    }
    return out;
  };

  state.hangup = function () { if (state.janus) state.janus.destroy({ cleanupHandles: true }); };
})();
