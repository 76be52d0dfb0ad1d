// A listener on the stage page picks a language (floor-hand.js asks the floor, which answers with the channel and
// the credentials to watch its Streaming mountpoint: the "floor:listen" event): the page hears that channel at full level and the floor
// faint underneath (the stage's own media elements at FLOOR_UNDER), as in booth interpretation. Back to the
// floor: the channel's Janus session goes, the floor comes back to full level. State: window.eventhubListen.
import { connectJanus } from "./stage-common.js";
import { dominant, playThroughWebAudio, watchChannel } from "./interpretation.js";

export const FLOOR_UNDER = 0.15;

export function startListening(state) {
  const L = window.eventhubListen = { channelId: null, janus: null, handle: null, ctx: null, sound: null,
                                      floorLevel: 1, heard: false };
  let generation = 0;

  function setFloor(level) {
    L.floorLevel = level;
    for (const v of document.querySelectorAll("#stage-live video")) v.volume = level;
  }

  function stop() {
    clearInterval(L.heartbeat);
    L.sound?.source.disconnect(); L.sound?.gain.disconnect();
    try { L.janus?.destroy(); } catch { /* already gone */ }
    L.stopKeepalive?.();
    Object.assign(L, { channelId: null, janus: null, handle: null, sound: null, heard: false });
  }

  async function choose(detail) {
    const mine = ++generation;
    stop();
    if (!detail || detail.source !== "channel" || !detail.media) { setFloor(1); return; }
    const creds = L.creds = detail.media;
    L.channelId = detail.channel_id;
    try {
      await connectJanus(L, creds);
      if (mine !== generation) { L.janus?.destroy(); return; }
      L.heartbeat = setInterval(() => state.emit("heartbeat", { token: creds.token }),
                                Math.max(5, Math.floor(creds.ttl / 3)) * 1000);
      L.ctx = L.ctx || new AudioContext();
      L.handle = await watchChannel(L.janus, { mountpoint: creds.mountpoint, pin: creds.pin,
        onTrack: (track, on) => {
          if (!on || track.kind !== "audio" || mine !== generation) return;
          L.sound = playThroughWebAudio(L.ctx, track, "listen-audio");
          L.heard = true;
        } });
      setFloor(FLOOR_UNDER);
    } catch (e) {
      L.error = String(e && (e.code || e.message) || e);
      setFloor(1);
    }
  }

  L.dominant = () => dominant(L.ctx, L.sound && L.sound.analyser);
  L.pc = () => (L.handle && L.handle.webrtcStuff ? L.handle.webrtcStuff.pc : null);
  document.addEventListener("floor:listen", (e) => choose(e.detail));
  return { floorChanged: () => setFloor(L.floorLevel) };
}
