// A remote attendee given the floor, on their stage page: when their accepted hand's turn starts (the stage shows
// their publisher row live), the panel at the top of the page says so with their countdown (floor-hand.js keeps
// #my-turn-timer) and one button, "Speak now": they publish — audio only unless the moderator allowed video — on a
// Janus session of its own (the page's receiving session goes on). When the turn ends (their row goes backstage)
// they stop publishing, the page hangs up and thanks them; the service has already revoked the token. Without a
// media server the panel still tells them they have the floor, and that their microphone cannot reach the stage.
// On air they have their own microphone switch (the panelists' self-mute: stage-common.js) and, throughout the
// turn, "I've finished", which hands the floor back: the end then comes as a moderator's would.
// The speaker's state is window.eventhubStage.speaker (for tests).
import { connectJanus, credentials, finishTurn, pcOf, publish, setSelfMute, showSelfMute, watchStats } from "./stage-common.js";
import { preview } from "./stage-prejoin.js";

export function attendeeSpeaker(state, t, { media = true } = {}) {
  const box = document.getElementById("my-turn");
  const status = document.getElementById("my-turn-status");
  const button = document.getElementById("join");
  const over = document.getElementById("my-turn-over");
  const muteButton = document.getElementById("my-mute");
  const finish = document.getElementById("finish");
  const speaker = state.speaker = { sessionId: state.sessionId, socket: state.socket, emit: state.emit,
                                    me: null, subscribers: {}, joined: false, stream: null, handId: null,
                                    selfMuted: false };
  document.addEventListener("floor:hand", (e) => {
    const hand = e.detail;
    speaker.handId = hand && hand.status === "accepted" ? hand.id : null;
    update();
    state.onHand?.();
  });

  function mine() {
    if (!speaker.handId) return null;
    return [...state.participants.values()].find((p) => p.role === "attendee" && p.hand_id === speaker.handId) || null;
  }

  function say(text, kind = "") {
    status.textContent = text;
    status.dataset.state = kind;
  }

  async function check() {
    const p = mine();
    speaker.stream = await preview(speaker.stream, { video: !!(p && p.video_allowed) });
  }

  async function join() {
    const p = mine();
    if (!media || !p || p.state !== "live" || speaker.joining || speaker.joined) return;
    speaker.joining = true;
    button.disabled = true;
    try {
      say(t.connecting);
      const creds = await credentials(speaker, { publish: true, role: "attendee" });
      if (!speaker.stream) await check();
      if (!creds.video_allowed) speaker.stream.getVideoTracks().forEach((v) => { v.stop(); speaker.stream.removeTrack(v); });
      await connectJanus(speaker, creds);
      await publish(speaker, { stream: speaker.stream, display: creds.display, feedId: creds.feed_id });
      speaker.joined = true; speaker.feedId = creds.feed_id;
      say(t.you_are_heard, "on-air");
      const focused = document.activeElement === button;
      button.hidden = true;
      muteButton.hidden = false;
      if (focused) muteButton.focus();  // the keyboard stays in the panel: the next thing they may want
      speaker.emit("report", { token: creds.token, connection: "joined" });
      clearInterval(speaker.statsTimer);
      speaker.statsTimer = watchStats(speaker, () => pcOf(speaker.publisher),
        (q) => speaker.emit("report", { token: speaker.creds.token, connection: "joined", quality: q }));
    } catch (e) {
      say((e.ack && e.ack.error && e.ack.error.message) || String(e.message || e), "error");
    } finally {
      speaker.joining = false;
      button.disabled = !media;
    }
  }

  function mute(muted) {
    setSelfMute(speaker, speaker.stream, muted);
    showSelfMute(muteButton, muted, t);
    say(muted ? "" : t.you_are_heard, muted ? "" : "on-air");  // muted, "everyone hears you" would be false
  }

  function hangUp() {
    clearInterval(speaker.heartbeat); clearInterval(speaker.statsTimer);
    speaker.selfMuted = false;
    showSelfMute(muteButton, false, t);
    muteButton.hidden = true;
    speaker.stream?.getTracks().forEach((x) => x.stop());
    speaker.stream = null;
    try { speaker.janus?.destroy(); } catch { /* gone with its token already */ }
    speaker.stopKeepalive?.();
    speaker.janus = null; speaker.publisher = null; speaker.creds = null;
    speaker.joined = false;
  }

  function update() {
    const p = mine();
    const live = !!(p && p.state === "live");
    if (!live && !box.hidden) over.hidden = false;  // the turn just ended: thank them where the panel was
    if (live) over.hidden = true;
    const inPanel = box.contains(document.activeElement);
    box.hidden = !live;
    if (!live && inPanel && !over.hidden) over.focus();  // a keyboard user hears the thanks, not silence
    document.getElementById("muted-by-manager").hidden = !(live && p.muted);
    const video = !!(p && p.video_allowed);
    document.getElementById("my-turn-video").hidden = !video;
    document.getElementById("my-turn-audio").hidden = video;
    document.getElementById("camera-choice").hidden = !video;
    if (live && !speaker.joined) {
      button.hidden = false;
      button.disabled = !media;
      if (!media) say(t.speaker_no_media, "error");
    }
    if (!live && (speaker.joined || speaker.janus)) hangUp();
  }

  document.getElementById("check").addEventListener("click", () => check().catch(() => {}));
  for (const id of ["camera", "microphone"]) document.getElementById(id).addEventListener("change", () => check().catch(() => {}));
  button.addEventListener("click", join);
  muteButton.addEventListener("click", () => mute(!speaker.selfMuted));
  finish.addEventListener("click", async () => {
    const error = await finishTurn(speaker, finish, t.offline);
    if (error) say(error, "error");
  });
  return update;
}
