// A remote attendee given the floor, on their stage page: when their accepted hand's turn starts (the stage shows
// their publisher row live), the same device check as panelists, then they publish — audio only unless the
// moderator allowed video — on a Janus session of its own (the page's receiving session goes on). When the turn
// ends (their row goes backstage) they stop publishing and the page hangs up; the service has already revoked the
// token. The speaker's state is window.eventhubStage.speaker (for tests).
import { connectJanus, credentials, pcOf, publish, watchStats } from "./stage-common.js";
import { preview } from "./stage-prejoin.js";

export function attendeeSpeaker(state, t) {
  const box = document.getElementById("my-turn");
  const status = document.getElementById("my-turn-status");
  const speaker = state.speaker = { sessionId: state.sessionId, socket: state.socket, emit: state.emit,
                                    me: null, subscribers: {}, joined: false, stream: null, handId: null };
  document.addEventListener("floor:hand", (e) => {
    const hand = e.detail;
    speaker.handId = hand && hand.status === "accepted" ? hand.id : null;
    update();
  });

  function mine() {
    if (!speaker.handId) return null;
    return [...state.participants.values()].find((p) => p.role === "attendee" && p.hand_id === speaker.handId) || null;
  }

  async function check() {
    const p = mine();
    speaker.stream = await preview(speaker.stream, { video: !!(p && p.video_allowed) });
  }

  async function join() {
    const p = mine();
    if (!p || p.state !== "live" || speaker.joining || speaker.joined) return;
    speaker.joining = true;
    try {
      status.textContent = t.connecting;
      const creds = await credentials(speaker, { publish: true, role: "attendee" });
      if (!speaker.stream) await check();
      if (!creds.video_allowed) speaker.stream.getVideoTracks().forEach((v) => { v.stop(); speaker.stream.removeTrack(v); });
      if (document.getElementById("join-muted")?.checked) speaker.stream.getAudioTracks().forEach((a) => { a.enabled = false; });
      await connectJanus(speaker, creds);
      await publish(speaker, { stream: speaker.stream, display: creds.display, feedId: creds.feed_id });
      speaker.joined = true; speaker.feedId = creds.feed_id; status.textContent = t.on_air;
      speaker.emit("report", { token: creds.token, connection: "joined" });
      clearInterval(speaker.statsTimer);
      speaker.statsTimer = watchStats(speaker, () => pcOf(speaker.publisher),
        (q) => speaker.emit("report", { token: speaker.creds.token, connection: "joined", quality: q }));
    } catch (e) {
      status.textContent = (e.ack && e.ack.error && e.ack.error.message) || String(e.message || e);
    } finally { speaker.joining = false; }
  }

  function hangUp() {
    clearInterval(speaker.heartbeat); clearInterval(speaker.statsTimer);
    speaker.stream?.getTracks().forEach((x) => x.stop());
    speaker.stream = null;
    try { speaker.janus?.destroy(); } catch { /* gone with its token already */ }
    speaker.stopKeepalive?.();
    speaker.janus = null; speaker.publisher = null; speaker.creds = null;
    if (speaker.joined) status.textContent = t.turn_over;
    speaker.joined = false;
  }

  function update() {
    const p = mine();
    const live = !!(p && p.state === "live");
    box.hidden = !live;
    document.getElementById("my-turn-video").hidden = !(p && p.video_allowed);
    document.getElementById("my-turn-audio").hidden = !!(p && p.video_allowed);
    if (!live && (speaker.joined || speaker.janus)) hangUp();
  }

  document.getElementById("check").addEventListener("click", () => check().catch(() => {}));
  for (const id of ["camera", "microphone"]) document.getElementById(id).addEventListener("change", () => check().catch(() => {}));
  document.getElementById("join").addEventListener("click", join);
  return update;
}
