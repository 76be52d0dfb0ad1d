"""End to end, the floor's media in the namespace (real app, Janus, Chromium): a remote attendee raises a hand, the
moderator accepts and starts them, the hall's screen hears them, stops hearing them while they mute themselves,
hears them again, and when they say "I've finished" (or the moderator ends the turn) Janus no longer has them
as a publisher; an interpreter (in a second Chromium whose fake microphone plays 880 Hz, the floor's is 440 Hz)
speaks into the English channel and a listener who picks English hears 880 Hz (AnalyserNode), the floor faint; a
crafted client publishing video on an audio-only turn gets none of it to the screen (Janus mutes it)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser

from eventhub.media.janus import VIDEOROOM, JanusClient
from eventhub.media.rooms import PluginHandle, VideoRoomAdmin
from tests.media import harness
from tests.media.conftest import MediaApp, MediaEnv, wait_until
from tests.media.test_media_stage import Stage, _room_publishers, _stage_row, inbound, js_true
from tests.media.test_media_stage import stage as stage  # noqa: PLC0414 (the fixture, shared)

# The first test also starts the session's app and Janus servers: on a loaded shared machine that alone took minutes.
pytestmark = [pytest.mark.media, pytest.mark.timeout(600)]

# The moderator's floor socket, opened from their signed-in page (same cookies as the console).
FLOOR = """async (sid) => {
  if (!window.floorCall) {
    const s = window.io("/floor", { transports: ["websocket"] });
    await new Promise((r) => s.on("connect", r));
    window.floorCall = (e, p) => new Promise((r) => s.emit(e, p, r));
  }
  return window.floorCall("join", { session_id: sid });
}"""


LISTEN_STATE = """() => { const L = window.eventhubListen; return JSON.stringify({ error: L.error, channel: L.channelId,
  janus: !!L.janus, handle: !!L.handle, creds: !!L.creds, out: document.getElementById('floor-listen').textContent,
  source: document.getElementById('floor-listen').dataset.source }); }"""


def floor_call(page, event: str, payload: dict) -> dict:  # noqa: ANN001
    ack = page.evaluate("([e, p]) => window.floorCall(e, p)", [event, payload])
    assert ack["ok"], (event, ack)
    return ack["data"]


def own_publish_refused(page) -> str:  # noqa: ANN001
    ack = page.evaluate("() => window.eventhubStage.emit('credentials', {publish: true, role: 'attendee'})")
    return "" if ack["ok"] else ack["error"]["code"]


def test_a_speaking_panelist_hands_the_floor_back_from_their_stage_page(stage: Stage) -> None:
    """No media needed: the floor (read by their link) shows them their countdown and "I've finished"."""
    manager = stage.manager()
    p = stage.seed["panelists"][1]
    page = stage.new_page()
    page.goto(stage.url(f"/e/{stage.seed['slug']}/panelist/{p['token']}/stage/{stage.sid}"))
    js_true(page, "window.eventhubStage && window.eventhubStage.status === 'live' && !!window.eventhubStage.floor",
            20, "the panelist's stage page follows the stage and the floor")
    assert page.evaluate("() => document.getElementById('my-floor').hidden") is True
    assert manager.evaluate(FLOOR, stage.sid)["ok"]
    speaker = floor_call(manager, "add_speaker", {"session_id": stage.sid, "kind": "panelist",
                                                  "panelist_id": p["id"], "budget_seconds": 120})["speaker"]
    floor_call(manager, "start", {"speaker_id": speaker["id"]})
    js_true(page, "!document.getElementById('my-floor').hidden && "
            "/\\d+:\\d\\d/.test(document.getElementById('my-floor-timer').textContent)", 15,
            "the panelist is told they have the floor, with their countdown")
    page.click("#finish")
    js_true(page, "document.getElementById('my-floor').hidden", 15, "the floor is handed back")
    assert floor_call(manager, "join", {"session_id": stage.sid})["snapshot"]["state"]["current"] is None
    js_true(manager, f"[...window.eventhubStage.participants.values()].some((x) => x.panelist_id === {p['id']} && "
            "x.state === 'backstage')", 10, "the console shows the panelist backstage")
    page.close()


@pytest.fixture(scope="module")
def booth_browser(media_env: MediaEnv, playwright_session: Any) -> Iterator[Browser]:
    """A second Chromium, the interpreter's booth: its fake microphone plays 880 Hz."""
    work = media_env.work / "booth"
    work.mkdir(exist_ok=True)
    wav = harness.make_wav(work / "tone-880.wav", freq=880.0)
    browser = playwright_session.chromium.launch(executable_path=str(harness.chromium_wrapper(media_env.ns, work)),
                                                 headless=True, args=harness.chromium_args(media_env.y4m, wav),
                                                 timeout=60_000)
    try:
        yield browser
    finally:
        browser.close()


def test_an_accepted_attendee_is_heard_on_screen_and_leaves_the_stage_at_the_end(
        stage: Stage, media_env: MediaEnv, media_app: MediaApp) -> None:
    manager = stage.manager()
    screen = stage.screen()
    home = stage.attendee(1)
    # Not accepted: no right to publish.
    assert own_publish_refused(home) == "attendee_cannot_publish"
    js_true(home, "!document.getElementById('floor-hand').hidden", 15, "the hand form is offered")
    home.fill("#floor-topic", "Le corridor numérique Alger–Bamako")
    home.click("#floor-hand-button")
    js_true(home, "document.getElementById('floor-hand-state').dataset.status === 'pending'", 10, "hand pending")
    joined = manager.evaluate(FLOOR, stage.sid)
    assert joined["ok"], joined
    hand = next(h for h in joined["data"]["snapshot"]["hands"] if h["name"] == "Suiveur 1")
    speaker = floor_call(manager, "decide_hand", {"hand_id": hand["id"], "accept": True})["speaker"]
    js_true(home, "document.getElementById('floor-hand-state').dataset.status === 'accepted'", 10, "accepted")
    assert own_publish_refused(home) == "attendee_cannot_publish"  # accepted, but the turn has not started
    floor_call(manager, "start", {"speaker_id": speaker["id"]})
    js_true(home, "!document.getElementById('my-turn').hidden", 15, "the attendee is told it is their turn")
    assert home.evaluate("() => document.getElementById('my-turn-audio').hidden") is False  # audio only
    home.click(".stage-my-turn-devices summary")  # the device check, folded under "Speak now", as panelists do it
    home.click("#check")
    js_true(home, "!!window.eventhubStage.speaker.stream", 10, "the microphone is checked")
    home.click("#join")
    js_true(home, "window.eventhubStage.speaker.joined === true", 30, "the attendee publishes")
    feed = home.evaluate("() => window.eventhubStage.speaker.feedId")
    assert feed in _room_publishers(media_env, media_app)
    first = wait_until(lambda: (s := inbound(screen, feed)) and s["audioPackets"] > 20 and s["energy"] > 0 and s,
                       25, "the screen receives the attendee's audio")
    later = wait_until(lambda: (s := inbound(screen, feed)) and s["audioPackets"] > first["audioPackets"] + 25
                       and s, 15, "the attendee's audio keeps arriving")
    assert later["energy"] > first["energy"] and later["frames"] == 0  # heard, and no video: audio only
    # Their own switch, by keyboard: the track stops and Janus stops relaying it, so nothing reaches the screen
    # (a disabled track alone would still send silence); the console shows them muted; unmuted, heard again.
    home.focus("#my-mute")
    home.keyboard.press("Enter")
    js_true(home, "!document.getElementById('self-muted').hidden && window.eventhubStage.speaker.selfMuted", 5,
            "the page says the microphone is off")
    js_true(manager, f"[...window.eventhubStage.participants.values()].some((p) => p.feed_id === {feed} && "
            "p.self_muted)", 10, "the console shows the attendee muted")
    quiet = wait_until(lambda: _flat(screen, feed), 8, "the screen stops receiving the muted attendee")
    # Their browser still sends (a disabled track is encoded as silence): it is Janus that stopped relaying it.
    sending = _sent_audio(home)
    wait_until(lambda: _sent_audio(home) > sending + 25, 5, "the muted attendee's browser still sends silence")
    assert _flat(screen, feed), "the screen still receives nothing from the muted attendee"
    home.keyboard.press("Enter")  # still on the switch: unmute
    js_true(home, "document.getElementById('self-muted').hidden && !window.eventhubStage.speaker.selfMuted", 5,
            "the microphone is on again")
    again = wait_until(lambda: (s := inbound(screen, feed)) and s["audioPackets"] > quiet["audioPackets"] + 25
                       and s["energy"] > quiet["energy"] and s, 10, "the attendee is heard again")
    assert again["frames"] == 0
    # "I've finished": the speech ends as a moderator's end would: the page hangs up, Janus no longer has them,
    # the floor has nobody speaking and the console shows them backstage.
    home.click("#finish")
    js_true(home, "window.eventhubStage.speaker.joined === false && document.getElementById('my-turn').hidden && "
            "!document.getElementById('my-turn-over').hidden", 15, "the attendee's page hung up")
    wait_until(lambda: feed not in _room_publishers(media_env, media_app), 15, "Janus dropped the attendee")
    assert floor_call(manager, "join", {"session_id": stage.sid})["snapshot"]["state"]["current"] is None
    js_true(manager, f"[...window.eventhubStage.participants.values()].some((p) => p.feed_id === {feed} && "
            "p.state === 'backstage')", 10, "the console shows the attendee backstage")
    assert own_publish_refused(home) == "attendee_cannot_publish"


def test_a_live_panelist_mutes_and_unmutes_from_their_stage_page(stage: Stage) -> None:
    """The remote panelist's own Mute: the hall's screen stops hearing them (Janus stops relaying, not only a
    silent track), the console shows them muted; unmuted, heard again."""
    manager = stage.manager()
    screen = stage.screen()
    page, pid, feed = stage.panelist(2)
    stage.bring_live(manager, pid)
    js_true(page, "!document.getElementById('on-air').hidden", 15, "the panelist is told they are on air")
    wait_until(lambda: (s := inbound(screen, feed)) and s["audioPackets"] > 20 and s["energy"] > 0 and s, 25,
               "the screen hears the panelist")
    page.click("#mute")
    js_true(page, "window.eventhubStage.selfMuted === true && !document.getElementById('self-muted').hidden && "
            "document.getElementById('mute').dataset.muted === 'true'", 5, "the page says the microphone is off")
    console_shows = "[...window.eventhubStage.participants.values()].some((p) => p.id === {} && {}p.self_muted)"
    js_true(manager, console_shows.format(pid, ""), 10, "the console shows the panelist muted")
    try:
        quiet = wait_until(lambda: _flat(screen, feed), 8, "the screen stops receiving the muted panelist")
        # Their browser still sends (a disabled track is encoded as silence): it is Janus that stopped relaying it.
        sending = _sent_audio(page, "window.eventhubStage.publisher")
        wait_until(lambda: _sent_audio(page, "window.eventhubStage.publisher") > sending + 25, 5,
                   "the muted panelist's browser still sends silence")
        assert _flat(screen, feed), "the screen still receives nothing from the muted panelist"
        page.click("#mute")
        js_true(page, "window.eventhubStage.selfMuted === false && document.getElementById('self-muted').hidden", 5,
                "the microphone is on again")
        wait_until(lambda: (s := inbound(screen, feed)) and s["audioPackets"] > quiet["audioPackets"] + 25
                   and s["energy"] > quiet["energy"] and s, 10, "the panelist is heard again")
        js_true(manager, console_shows.format(pid, "!"), 10, "the console shows the panelist unmuted")
    finally:
        stage.act(manager, "send_backstage", pid)  # the stage is shared with the next tests


def _sent_audio(page, publisher: str = "window.eventhubStage.speaker.publisher") -> int:  # noqa: ANN001
    """Audio packets the speaker's own publisher connection (`publisher`: its janus.js handle) has sent so far."""
    return page.evaluate(f"""async () => {{ let n = 0; const pc = {publisher}.webrtcStuff.pc;
      (await pc.getStats()).forEach((s) => {{
        if (s.type === "outbound-rtp" && s.kind === "audio") n += s.packetsSent || 0; }});
      return n; }}""")


def _flat(screen, feed: int) -> dict | None:  # noqa: ANN001
    """The screen's inbound audio from `feed`, if neither its packets nor its energy grew over the last second
    (a measuring window, not a wait: the caller polls this under a deadline)."""
    before = inbound(screen, feed)
    time.sleep(1.0)
    after = inbound(screen, feed)
    if before and after and after["audioPackets"] == before["audioPackets"] and after["energy"] == before["energy"]:
        return after
    return None


def test_a_listener_hears_the_interpreters_channel_with_the_floor_faint(
        stage: Stage, booth_browser: Browser) -> None:
    manager = stage.manager()
    minister, pid, floor_feed = stage.panelist(0)  # the floor: 440 Hz
    # Through the console's socket (its buttons re-render with every quality report: clicks race under load).
    ack = manager.evaluate("(p) => window.eventhubStage.emit('manage', {action: 'bring_live', participant_id: p})",
                           pid)
    assert ack["ok"], ack
    ctx = booth_browser.new_context(permissions=["microphone"])
    try:
        booth = ctx.new_page()
        booth.set_default_timeout(20_000)
        booth.goto(stage.url(f"/floor/interpreter/{stage.seed['interpreter_token']}"))
        js_true(booth, "window.eventhubStage && window.eventhubStage.status === 'live' && !!window.eventhubStage.janus",
                20, "the interpreter's page follows the stage")
        wait_until(lambda: (s := inbound(booth, floor_feed)) and s["audioPackets"] > 20 and s, 25,
                   "the interpreter hears the floor")
        booth.click("#interp-mic")
        js_true(booth, "window.eventhubInterp.joined === true", 30, "the interpreter speaks into the channel")

        listener = stage.new_page()
        listener.set_default_timeout(60_000)  # two Chromiums and the app on a loaded machine: loads were seen > 20 s
        listener.goto(stage.url(f"/t/{stage.seed['tickets'][2]}/stage/{stage.sid}"))
        js_true(listener, "window.eventhubStage && window.eventhubStage.status === 'live' && "
                "!!window.eventhubStage.janus", 40, "the listener's page follows the stage")
        js_true(listener, "!document.getElementById('floor-lang-row').hidden", 15, "languages offered")
        wait_until(lambda: listener.evaluate(
            f"() => [...document.querySelectorAll('#stage-live [data-feed-id=\"{floor_feed}\"] video')].length") > 0,
            20, "the listener has the floor")
        listener.select_option("#floor-lang", "en")
        try:
            js_true(listener, "window.eventhubListen.heard === true", 30, "the listener receives the channel")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {listener.evaluate(LISTEN_STATE)}") from None
        tone = wait_until(lambda: (d := listener.evaluate("() => window.eventhubListen.dominant()")) and
                          d["db"] > -70 and 850 < d["hz"] < 910 and d, 20, "the listener hears 880 Hz")
        assert 850 < tone["hz"] < 910
        volumes = listener.evaluate("() => [...document.querySelectorAll('#stage-live video')].map((v) => v.volume)")
        assert volumes and all(abs(v - 0.15) < 1e-6 for v in volumes)  # the floor, faint underneath
        # Back to the floor: the channel goes, the floor comes back at full level.
        listener.select_option("#floor-lang", "")
        js_true(listener, "window.eventhubListen.channelId === null && [...document.querySelectorAll("
                "'#stage-live video')].every((v) => v.volume === 1)", 15, "back to the floor")
    finally:
        ctx.close()
        minister.close()


# A crafted client: the attendee's own page, told that video is allowed (the credentials' answer rewritten) and
# holding a camera, so it publishes audio AND video although the moderator accepted the hand audio only.
CRAFTED = """async () => {
  const sp = window.eventhubStage.speaker; const emit = sp.emit;
  sp.emit = async (e, p) => { const ack = await emit(e, p);
    if (e === "credentials" && ack.ok) ack.data.video_allowed = true; return ack; };
  sp.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  return sp.stream.getVideoTracks().length; }"""


def test_a_crafted_client_offering_video_on_an_audio_only_turn_gets_no_video_to_the_screen(
        stage: Stage, media_env: MediaEnv, media_app: MediaApp) -> None:
    manager = stage.manager()
    screen = stage.screen()
    home = stage.attendee(3)
    js_true(home, "!document.getElementById('floor-hand').hidden", 15, "the hand form is offered")
    home.click("#floor-hand-button")
    js_true(home, "document.getElementById('floor-hand-state').dataset.status === 'pending'", 10, "hand pending")
    joined = manager.evaluate(FLOOR, stage.sid)
    assert joined["ok"], joined
    hand = next(h for h in joined["data"]["snapshot"]["hands"] if h["name"] == "Suiveur 3")
    speaker = floor_call(manager, "decide_hand", {"hand_id": hand["id"], "accept": True})["speaker"]
    assert speaker["video_allowed"] is False
    floor_call(manager, "start", {"speaker_id": speaker["id"]})
    js_true(home, "!document.getElementById('my-turn').hidden", 15, "the attendee is told it is their turn")
    assert home.evaluate(CRAFTED) == 1
    home.click("#join")
    js_true(home, "window.eventhubStage.speaker.joined === true", 30, "the crafted client publishes")
    feed = home.evaluate("() => window.eventhubStage.speaker.feedId")
    sent = wait_until(lambda: home.evaluate("""async () => { let v = 0; const pc = window.eventhubStage.speaker
      .publisher.webrtcStuff.pc; (await pc.getStats()).forEach((s) => { if (s.type === "outbound-rtp" &&
      s.kind === "video") v += s.packetsSent || 0; }); return v; }""") > 50, 20, "the crafted client sends video")
    assert sent
    room, server = _stage_row(media_app)
    rooms = VideoRoomAdmin(PluginHandle(JanusClient(media_env.server_named(server)), VIDEOROOM))
    try:
        kinds = [s["type"] for s in rooms.publisher_streams(room, feed)]
    finally:
        rooms.handle.close()
    assert "video" in kinds  # Janus holds the video stream the offer carried…
    first = wait_until(lambda: (s := inbound(screen, feed)) and s["audioPackets"] > 20 and s, 30,
                       "the screen receives the attendee's audio")
    later = wait_until(lambda: (s := inbound(screen, feed)) and s["audioPackets"] > first["audioPackets"] + 100
                       and s, 20, "the attendee's audio keeps arriving")
    assert later["frames"] == 0 and later["videoBytes"] == 0  # …and sends none of it to the screen
    # The moderator ends the turn: the page hangs up by itself and Janus no longer has them.
    floor_call(manager, "end", {"session_id": stage.sid})
    js_true(home, "window.eventhubStage.speaker.joined === false && document.getElementById('my-turn').hidden", 15,
            "the attendee's page hung up")
    wait_until(lambda: feed not in _room_publishers(media_env, media_app), 15, "Janus dropped the attendee")
