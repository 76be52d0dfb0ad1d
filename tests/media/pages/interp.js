// bench/stage.py's interpretation delay (plain janus.js): one page sends the SAME beeping track (Web Audio: a
// 1 kHz tone, 150 ms every second) into the floor (a VideoRoom publisher) and into an interpretation channel (the
// interpreter's AudioBridge room); another page receives the floor and the channel as listeners hear it (the
// channel's Streaming mountpoint, fed by the room's forwarder) and stamps each beep's onset on each path, so
// channel onset − floor onset is what the channel adds over the floor.
/* global Janus */
(function () {
  "use strict";
  const I = { janus: null, onsets: { floor: [], channel: [] }, errors: [] };
  window.interp = I;

  I.connect = (cfg) => new Promise((resolve, reject) => {
    Janus.init({ debug: false, callback: () => {
      const janus = new Janus({ server: cfg.server, token: cfg.token, iceServers: [],
        success: () => { I.janus = janus; window.keepJanusAlive(janus, { server: cfg.server, token: cfg.token }); resolve(); },
        error: (e) => reject(new Error(String(e))) });
    } });
  });

  function attach(plugin, onmessage, extra) {
    return new Promise((resolve, reject) => I.janus.attach(Object.assign({
      plugin, success: resolve, error: (e) => reject(new Error(String(e))), onmessage }, extra || {})));
  }

  I.beeper = () => {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator(); osc.frequency.value = 1000;
    const gate = ctx.createGain(); gate.gain.value = 0;
    const out = ctx.createMediaStreamDestination();
    osc.connect(gate); gate.connect(out); osc.start();
    const t = ctx.currentTime + 1;
    for (let k = 0; k < 600; k++) {
      gate.gain.setValueAtTime(0.5, t + k);
      gate.gain.setValueAtTime(0, t + k + 0.15);
    }
    I.ctx = ctx; I.track = out.stream.getAudioTracks()[0];
    return true;
  };

  I.publishFloor = async (cfg) => {
    let handle, done;
    const p = new Promise((resolve, reject) => { done = { resolve, reject }; });
    handle = await attach("janus.plugin.videoroom", (msg, jsep) => {
      if (msg.error) { done.reject(new Error(msg.error)); return; }
      if (msg.videoroom === "joined") {
        I.feed = msg.id;
        handle.createOffer({ tracks: [{ type: "audio", capture: I.track, recv: false }],
          success: (offer) => handle.send({ message: { request: "publish" }, jsep: offer }),
          error: (e) => done.reject(new Error(String(e))) });
      }
      if (jsep) { handle.handleRemoteJsep({ jsep }); done.resolve(I.feed); }
    });
    handle.send({ message: { request: "join", ptype: "publisher", room: cfg.room, display: "floor", token: cfg.token } });
    return p;
  };

  function bridge(cfg, muted, track, onTrack) {
    let handle, done, offered = false;
    const p = new Promise((resolve, reject) => { done = { resolve, reject }; });
    attach("janus.plugin.audiobridge", (msg, jsep) => {
      if (msg.error) { done.reject(new Error(msg.error)); return; }
      if (msg.audiobridge === "joined" && !offered) {
        offered = true;
        handle.createOffer({ tracks: [track ? { type: "audio", capture: track, recv: true } : { type: "audio", capture: false, recv: true }],
          success: (offer) => handle.send({ message: { request: "configure", muted }, jsep: offer }),
          error: (e) => done.reject(new Error(String(e))) });
      }
      if (jsep) { handle.handleRemoteJsep({ jsep }); done.resolve(true); }
    }, { onremotetrack: (t, _mid, on) => { if (on && onTrack) onTrack(t); } }).then((h) => {
      handle = h;
      h.send({ message: { request: "join", room: cfg.bridge, token: cfg.token, display: muted ? "listener" : "booth", muted } });
    });
    return p;
  }

  I.publishChannel = (cfg) => bridge(cfg, false, I.track, null);

  // Onsets: RMS over ~10 ms windows, polled every 5 ms; a beep starts when the level crosses the threshold after
  // at least 400 ms of quiet.
  function watch(track, name) {
    const stream = new MediaStream([track]);
    const holder = document.createElement("audio"); holder.muted = true; holder.srcObject = stream; holder.play().catch(() => {});
    document.body.append(holder);
    I.ctx = I.ctx || new AudioContext();
    const analyser = I.ctx.createAnalyser(); analyser.fftSize = 512;
    I.ctx.createMediaStreamSource(stream).connect(analyser);
    const data = new Float32Array(analyser.fftSize);
    let quietSince = Date.now();
    setInterval(() => {
      analyser.getFloatTimeDomainData(data);
      let sum = 0; for (const v of data) sum += v * v;
      const rms = Math.sqrt(sum / data.length);
      const now = Date.now();
      if (rms > 0.05) { if (quietSince && now - quietSince > 400) I.onsets[name].push(now); quietSince = 0; }
      else if (!quietSince) quietSince = now;
    }, 5);
  }

  I.listen = async (cfg, feed) => {
    await new Promise((resolve, reject) => {
      let handle;
      attach("janus.plugin.videoroom", (msg, jsep) => {
        if (msg.error) { reject(new Error(msg.error)); return; }
        if (jsep) handle.createAnswer({ jsep, tracks: [{ type: "data" }],
          success: (answer) => { handle.send({ message: { request: "start", room: cfg.room }, jsep: answer }); resolve(); },
          error: (e) => reject(new Error(String(e))) });
      }, { onremotetrack: (t, _mid, on) => { if (on && t.kind === "audio") watch(t, "floor"); } }).then((h) => {
        handle = h;
        h.send({ message: { request: "join", ptype: "subscriber", room: cfg.room, streams: [{ feed }], token: cfg.token } });
      });
    });
    await new Promise((resolve, reject) => {
      let handle;
      attach("janus.plugin.streaming", (msg, jsep) => {
        if (msg.error) { reject(new Error(msg.error)); return; }
        if (jsep) handle.createAnswer({ jsep, tracks: [{ type: "data" }],
          success: (answer) => { handle.send({ message: { request: "start" }, jsep: answer }); resolve(); },
          error: (e) => reject(new Error(String(e))) });
      }, { onremotetrack: (t, _mid, on) => { if (on && t.kind === "audio") watch(t, "channel"); } }).then((h) => {
        handle = h;
        h.send({ message: { request: "watch", id: cfg.mountpoint, pin: cfg.pin } });
      });
    });
    return true;
  };
})();
