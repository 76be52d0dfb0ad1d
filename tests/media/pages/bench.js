// bench/stage.py's clients (plain janus.js): a publisher, a "screen" that watches the room and subscribes to
// every publisher as soon as Janus announces it, and receive-only viewers (audio only / low layer).
/* global Janus */
(function () {
  "use strict";
  const B = { janus: null, pub: null, feedId: null, subs: {}, firstFrame: {}, announced: {}, errors: [] };
  window.bench = B;

  B.connect = (cfg) => new Promise((resolve, reject) => {
    Janus.init({ debug: false, callback: () => {
      const janus = new Janus({ server: cfg.server, token: cfg.token, iceServers: cfg.iceServers || [], keepAlivePeriod: 5000,
        success: () => { B.janus = janus; window.keepJanusAlive(janus, { server: cfg.server, token: cfg.token }); resolve(); }, error: (e) => reject(new Error(String(e))) });
    } });
  });

  function attach(onmessage, extra) {
    return new Promise((resolve, reject) => B.janus.attach(Object.assign({
      plugin: "janus.plugin.videoroom", success: resolve, error: (e) => reject(new Error(String(e))), onmessage,
    }, extra || {})));
  }

  // Publish the fake camera (simulcast) + microphone; resolves with the feed id once Janus answered.
  B.publish = async (cfg) => {
    let handle, done;
    const p = new Promise((resolve, reject) => { done = { resolve, reject }; });
    handle = await attach((msg, jsep) => {
      if (msg.error) { done.reject(new Error(msg.error)); return; }
      if (msg.videoroom === "joined") {
        B.feedId = msg.id;
        handle.createOffer({
          tracks: [{ type: "audio", capture: true, recv: false },
                   { type: "video", capture: true, recv: false, simulcast: cfg.simulcast !== false }],
          success: (offer) => handle.send({ message: { request: "publish" }, jsep: offer }),
          error: (e) => done.reject(new Error(String(e))) });
      }
      if (jsep) { handle.handleRemoteJsep({ jsep }); done.resolve(B.feedId); }
    });
    B.pub = handle;
    handle.send({ message: { request: "join", ptype: "publisher", room: cfg.room, display: cfg.display || "pub",
                             token: cfg.token } });
    return p;
  };

  B.unpublish = () => new Promise((resolve) => {
    if (!B.pub) { resolve(); return; }
    const h = B.pub; B.pub = null;
    h.send({ message: { request: "leave" }, success: () => { h.detach({ success: resolve, error: resolve }); } });
  });

  // Subscribe to one feed. opts.substream (0 = low layer), opts.audioOnly.
  B.subscribe = async (cfg, feed, opts) => {
    opts = opts || {};
    const tile = document.createElement("video");
    tile.autoplay = true; tile.muted = true; tile.playsInline = true; tile.dataset.feed = feed;
    document.getElementById("tiles").append(tile);
    let handle, done;
    const p = new Promise((resolve, reject) => { done = { resolve, reject }; });
    handle = await attach((msg, jsep) => {
      if (msg.error) { done.reject(new Error(msg.error)); return; }
      if (msg.videoroom === "attached") handle.eventhubStreams = msg.streams || [];
      if (jsep) handle.createAnswer({ jsep, tracks: [{ type: "data" }],
        success: (answer) => { handle.send({ message: { request: "start" }, jsep: answer }); done.resolve(feed); },
        error: (e) => done.reject(new Error(String(e))) });
    }, {
      onremotetrack: (track, mid, on) => {
        if (!on || track.kind !== "video") return;
        tile.srcObject = new MediaStream([track]);
        tile.requestVideoFrameCallback(() => { B.firstFrame[feed] = Date.now(); });
      },
    });
    B.subs[feed] = handle;
    const stream = { feed };
    const body = { request: "join", ptype: "subscriber", room: cfg.room, streams: [stream], token: cfg.token };
    handle.send({ message: body });
    await p;
    if (opts.audioOnly) {
      // keep only the audio m-line flowing
      const video = (handle.eventhubStreams || []).filter((st) => st.type === "video");
      handle.send({ message: { request: "configure", streams: video.map((st) => ({ mid: st.mid, send: false })) } });
    }
    if (opts.substream !== undefined) handle.send({ message: { request: "configure", substream: opts.substream } });
    return feed;
  };

  B.unsubscribe = (feed) => { const h = B.subs[feed]; if (h) { h.detach(); delete B.subs[feed]; } };

  // The "screen": a listener in the room (publisher join without publishing) that subscribes to every new feed.
  B.watch = async (cfg) => {
    let handle;
    const seen = (list) => (list || []).forEach((pub) => {
      if (B.announced[pub.id]) return;
      B.announced[pub.id] = Date.now();
      B.subscribe(cfg, pub.id).catch((e) => B.errors.push(String(e)));
    });
    const ready = new Promise((resolve) => {
      attach((msg) => {
        if (msg.videoroom === "joined") { seen(msg.publishers); resolve(); }
        else if (msg.publishers) seen(msg.publishers);
        if (msg.unpublished || msg.leaving) {
          const gone = msg.unpublished || msg.leaving;
          if (gone !== "ok") { B.unsubscribe(gone); delete B.announced[gone]; delete B.firstFrame[gone]; }
        }
      }).then((h) => {
        handle = h;
        handle.send({ message: { request: "join", ptype: "publisher", room: cfg.room, display: "screen",
                                 token: cfg.token } });
      });
    });
    return ready;
  };

  // Inbound bytes (audio, video) of one subscription so far.
  B.inbound = async (feed) => {
    const h = B.subs[feed];
    const pc = h && h.webrtcStuff && h.webrtcStuff.pc;
    const out = { audio: 0, video: 0, width: 0, frames: 0 };
    if (!pc) return out;
    (await pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp") {
        out[s.kind] += s.bytesReceived || 0;
        if (s.kind === "video") { out.width = s.frameWidth || 0; out.frames = s.framesDecoded || 0; }
      }
    });
    return out;
  };
})();
