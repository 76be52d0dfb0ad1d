// Janus helpers for interpretation channels: the interpreter joins their channel's AudioBridge room to speak into
// it; listeners (and an interpreter relaying another channel) watch the channel's Streaming mountpoint, which Janus
// feeds with that room's mix and which is receive-only by construction (a listener's token cannot even attach to
// the AudioBridge). And the analysis the tests read (the dominant frequency of what a page hears).
export function joinBridge(janus, { room, token, display, muted, track = null, onTrack = () => {} }) {
  return new Promise((resolve, reject) => {
    let handle = null, offered = false;
    janus.attach({
      plugin: "janus.plugin.audiobridge",
      success: (h) => { handle = h; h.send({ message: { request: "join", room, token, display, muted } }); },
      error: reject,
      onmessage: (msg, jsep) => {
        if (msg.error) { reject(Object.assign(new Error(msg.error), { code: msg.error_code })); return; }
        if (msg.audiobridge === "joined" && !offered) {
          offered = true;
          handle.createOffer({
            tracks: [track ? { type: "audio", capture: track, recv: true } : { type: "audio", capture: false, recv: true }],
            success: (offer) => handle.send({ message: { request: "configure", muted }, jsep: offer }),
            error: reject });
        }
        if (jsep) { handle.handleRemoteJsep({ jsep }); resolve(handle); }
      },
      onremotetrack: (track, _mid, on) => onTrack(track, on),
    });
  });
}

// Hear a channel: watch its mountpoint (with the PIN the app handed out), answer Janus's sendonly offer.
export function watchChannel(janus, { mountpoint, pin, onTrack = () => {} }) {
  return new Promise((resolve, reject) => {
    let handle = null;
    janus.attach({
      plugin: "janus.plugin.streaming",
      success: (h) => { handle = h; h.send({ message: { request: "watch", id: mountpoint, pin } }); },
      error: reject,
      onmessage: (msg, jsep) => {
        if (msg.error) { reject(Object.assign(new Error(msg.error), { code: msg.error_code })); return; }
        if (jsep) handle.createAnswer({ jsep, tracks: [{ type: "data" }],
          success: (answer) => { handle.send({ message: { request: "start" }, jsep: answer }); resolve(handle); },
          error: reject });
      },
      onremotetrack: (track, _mid, on) => onTrack(track, on),
    });
  });
}

// Chrome feeds a remote WebRTC stream into Web Audio only while a media element plays it too (muted here: the
// sound goes out through the AudioContext, where it can be analysed and mixed).
export function playThroughWebAudio(ctx, track, id) {
  const stream = new MediaStream([track]);
  let holder = document.getElementById(id);
  if (!holder) { holder = document.createElement("audio"); holder.id = id; holder.hidden = true; document.body.append(holder); }
  holder.muted = true; holder.srcObject = stream; holder.play().catch(() => {});
  const source = ctx.createMediaStreamSource(stream);
  const gain = ctx.createGain();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 8192;
  source.connect(gain); gain.connect(ctx.destination); source.connect(analyser);
  ctx.resume?.();
  return { source, gain, analyser, stream };
}

// The loudest frequency bin (Hz) and its level (dB) of what an analyser hears.
export function dominant(ctx, analyser) {
  if (!ctx || !analyser) return null;
  const data = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(data);
  let best = 1;
  for (let i = 2; i < data.length; i++) if (data[i] > data[best]) best = i;
  return { hz: (best * ctx.sampleRate) / analyser.fftSize, db: data[best] };
}
