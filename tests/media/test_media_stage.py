"""End to end on the stage's own pages, in the namespace: the real app (gevent), Janus, coturn, Chromium with fake
devices (a moving 640×480 pattern and a 440 Hz tone). The pages and their `window.eventhubStage` hook belong to the
stage area (templates/stage/, static/js/stage-*.js); these tests drive them as the people in the hall and at home
would, and check in Janus itself (through eventhub.media) what the app did there."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import pytest
import requests

from eventhub.media import launcher
from eventhub.media.janus import VIDEOROOM, JanusClient, JanusError, JanusServer
from eventhub.media.pool import JanusPool
from eventhub.media.rooms import PluginHandle, VideoRoomAdmin
from eventhub.media.tokens import new_token
from tests.media.conftest import MediaApp, MediaEnv, wait_until

pytestmark = pytest.mark.media

INBOUND = """(feed) => {
  const st = window.eventhubStage; const sub = st && st.subscribers && st.subscribers[feed];
  const pc = sub && sub.handle && sub.handle.webrtcStuff && sub.handle.webrtcStuff.pc;
  if (!pc) return null;
  return pc.getStats().then((report) => {
    const out = { frames: 0, width: 0, videoBytes: 0, audioPackets: 0, energy: 0, localType: null };
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") {
        out.frames = s.framesDecoded || 0; out.width = s.frameWidth || 0; out.videoBytes = s.bytesReceived || 0;
      }
      if (s.type === "inbound-rtp" && s.kind === "audio") {
        out.audioPackets = s.packetsReceived || 0; out.energy = s.totalAudioEnergy || 0;
      }
      if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") {
        const l = report.get(s.localCandidateId); out.localType = l && l.candidateType;
      }
    });
    return out;
  });
}"""
# The width of a speaker's video as the page SHOWS it: 0 while the tile is hidden (the screen pre-subscribes
# connected panelists, hidden and silent while backstage).
TILE_WIDTH = """(feed) => { const v = document.querySelector(`#stage-live [data-feed-id="${feed}"] video`);
  return v && !v.closest("[hidden]") ? v.videoWidth : 0; }"""


def js_true(page, expression: str, timeout: float = 20, what: str | None = None) -> Any:  # noqa: ANN001
    return wait_until(lambda: page.evaluate(f"() => {expression}"), timeout, what or expression)


def inbound(page, feed: int) -> dict | None:  # noqa: ANN001
    return page.evaluate(INBOUND, feed)


class Stage:
    """The people of one stage, each on their own page."""

    def __init__(self, app: MediaApp, new_page) -> None:  # noqa: ANN001
        self.app, self.new_page, self.seed = app, new_page, app.seed
        self.sid = self.seed["session_id"]

    def url(self, path: str) -> str:
        return self.app.base_url + path

    def manager(self):  # noqa: ANN201
        page = self.new_page()
        page.goto(self.url("/login"))
        page.fill("input[name=email]", self.seed["manager_email"])
        page.fill("input[name=password]", self.seed["manager_password"])
        page.press("input[name=password]", "Enter")
        page.wait_for_load_state()
        page.goto(self.url(f"/manage/events/{self.seed['event_id']}/stage/{self.sid}"))
        js_true(page, "window.eventhubStage && window.eventhubStage.status === 'live'")
        if page.evaluate("() => window.eventhubStage.stage.state") in ("closed", "ended"):
            ack = page.evaluate("() => window.eventhubStage.emit('manage', {action: 'open'})")
            assert ack["ok"], ack
        js_true(page, "['open', 'live'].includes(window.eventhubStage.stage.state)")
        return page

    def panelist(self, index: int, *, init_script: str | None = None):  # noqa: ANN201
        page = self.new_page()
        if init_script:
            page.add_init_script(init_script)
        p = self.seed["panelists"][index]
        page.goto(self.url(f"/e/{self.seed['slug']}/panelist/{p['token']}/stage/{self.sid}"))
        js_true(page, "window.eventhubStage && window.eventhubStage.status === 'live'")
        page.click("#join")
        js_true(page, "window.eventhubStage.joined === true", 30, "the panelist joined Janus")
        return page, page.evaluate("() => window.eventhubStage.me.participant_id"), \
            page.evaluate("() => window.eventhubStage.feedId")

    def room_feed(self):  # noqa: ANN201
        page = self.new_page()
        page.goto(self.url(f"/stage/{self.sid}/room-feed?key={self.seed['screen_key']}"))
        js_true(page, "window.eventhubStage && window.eventhubStage.status === 'live'")
        page.click("#join")
        js_true(page, "window.eventhubStage.joined === true", 30, "the room feed publishes")
        return page, page.evaluate("() => window.eventhubStage.feedId")

    def screen(self):  # noqa: ANN201
        page = self.new_page()
        page.goto(self.url(f"/stage/{self.sid}/screen?key={self.seed['screen_key']}"))
        js_true(page, "window.eventhubStage && window.eventhubStage.status === 'live' && !!window.eventhubStage.janus")
        return page

    def attendee(self, ticket: int = 0, *, init_script: str | None = None):  # noqa: ANN201
        page = self.new_page()
        if init_script:
            page.add_init_script(init_script)
        page.goto(self.url(f"/t/{self.seed['tickets'][ticket]}/stage/{self.sid}"))
        js_true(page, "window.eventhubStage && window.eventhubStage.status === 'live' && !!window.eventhubStage.janus")
        return page

    def bring_live(self, manager, participant_id: int) -> None:  # noqa: ANN001
        """Bring live (sending backstage first when an earlier test left them live: the stage is shared)."""
        row = f"document.querySelector('tr[data-participant=\"{participant_id}\"]')"
        js_true(manager, f"!!{row}", 15, "the panelist is in the console")
        if manager.evaluate(f"() => {row}.dataset.state") == "live":
            self.act(manager, "send_backstage", participant_id)
            js_true(manager, f"{row}.dataset.state !== 'live'", 10, "sent backstage")
        self.act(manager, "bring_live", participant_id)

    def act(self, manager, action: str, participant_id: int) -> None:  # noqa: ANN001
        manager.click(f"[data-action={action}][data-participant='{participant_id}']")
        js_true(manager, "window.eventhubStage.lastAck && window.eventhubStage.lastAck.ok === true", 10,
                f"the manager's {action} was accepted")
        manager.evaluate("() => { window.eventhubStage.lastAck = null; }")


@pytest.fixture
def stage(media_app: MediaApp, new_page) -> Stage:  # noqa: ANN001
    return Stage(media_app, new_page)


def _room_publishers(media_env: MediaEnv, app: MediaApp) -> list[int]:
    room, server = _stage_row(app)
    rooms = VideoRoomAdmin(PluginHandle(JanusClient(media_env.server_named(server)), VIDEOROOM))
    try:
        return [int(p["id"]) for p in rooms.participants(room) if p.get("publisher")]
    finally:
        rooms.handle.close()


def _stage_row(app: MediaApp) -> tuple[int, str]:
    """(Janus room, Janus server name) the app chose for the stage, read from its database."""
    db = app.env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        room, server = conn.execute("SELECT janus_room_id, janus_server FROM stages WHERE id = ?",
                                    (app.seed["stage_id"],)).fetchone()
    return int(room), str(server)


def _grows(read, seconds: float) -> bool:  # noqa: ANN001
    start = read()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if read() > start:
            return True
        time.sleep(0.2)
    return False


def test_stage_pages_are_served_with_janus_in_their_csp(media_app: MediaApp) -> None:
    seed = media_app.seed
    r = requests.get(f"{media_app.outside_url}/stage/{seed['session_id']}/screen",
                     params={"key": seed["screen_key"]}, timeout=10)
    assert r.status_code == 200
    assert "http://127.0.0.1:8088" in r.headers["Content-Security-Policy"]
    assert requests.get(f"{media_app.outside_url}/stage/{seed['session_id']}/screen", params={"key": "wrong"},
                        timeout=10).status_code == 404


def test_minister_joins_goes_live_and_is_seen_and_heard_on_screen_and_at_home(stage: Stage) -> None:
    manager = stage.manager()
    screen = stage.screen()
    minister, pid, feed = stage.panelist(0)
    # Backstage: joined in Janus, not on the screen yet.
    js_true(manager, f"document.querySelector('tr[data-participant=\"{pid}\"]')?.dataset.connection === 'joined'")
    assert screen.evaluate(TILE_WIDTH, feed) == 0

    stage.bring_live(manager, pid)
    wait_until(lambda: screen.evaluate(TILE_WIDTH, feed) > 0, 20, "the screen shows the minister's video")
    first = wait_until(lambda: (s := inbound(screen, feed)) and s["frames"] > 0 and s["audioPackets"] > 0 and s,
                       20, "the screen decodes video and receives audio")
    later = wait_until(lambda: (s := inbound(screen, feed)) and s["frames"] > first["frames"] + 15
                       and s["audioPackets"] > first["audioPackets"] + 25 and s, 15, "inbound RTP keeps growing")
    assert later["energy"] > first["energy"]  # the tone reaches the hall, not silence
    assert later["width"] > 0

    home = stage.attendee(0)
    wait_until(lambda: home.evaluate(TILE_WIDTH, feed) > 0, 25, "the remote attendee sees the minister")
    at_home = wait_until(lambda: (s := inbound(home, feed)) and s["frames"] > 10 and s["audioPackets"] > 20 and s,
                         20, "the remote attendee receives video and audio")
    assert at_home["energy"] > 0
    minister.close()


def test_the_remote_minister_sees_and_hears_the_room(stage: Stage) -> None:
    stage.manager()
    _feed_page, room_feed = stage.room_feed()
    minister, _pid, _feed = stage.panelist(0)
    got = wait_until(lambda: (s := inbound(minister, room_feed)) and s["frames"] > 5 and s["audioPackets"] > 20
                     and s, 25, "the minister's page receives the room feed (camera and PA mix)")
    later = wait_until(lambda: (s := inbound(minister, room_feed)) and s["audioPackets"] > got["audioPackets"] + 25
                       and s, 10, "the room's sound keeps coming")
    assert later["energy"] > got["energy"]


def test_mute_stops_the_audio_at_the_screen(stage: Stage) -> None:
    manager = stage.manager()
    screen = stage.screen()
    _page, pid, feed = stage.panelist(1)
    stage.bring_live(manager, pid)
    wait_until(lambda: (s := inbound(screen, feed)) and s["audioPackets"] > 20, 25, "audio at the screen")

    stage.act(manager, "mute", pid)

    def audio() -> int:
        return (inbound(screen, feed) or {}).get("audioPackets", 0)

    def frames() -> int:
        return (inbound(screen, feed) or {}).get("frames", 0)

    wait_until(lambda: not _grows(audio, 1.0), 10, "the screen's audio stops (muted in Janus)")
    assert not _grows(audio, 2.0)
    assert _grows(frames, 2.0)  # the picture goes on
    stage.act(manager, "unmute", pid)
    wait_until(lambda: _grows(audio, 1.0), 10, "audio back after unmute")


def test_remove_cuts_the_panelist_off_in_janus(stage: Stage, media_env: MediaEnv) -> None:
    manager = stage.manager()
    page, pid, feed = stage.panelist(2)
    wait_until(lambda: feed in _room_publishers(media_env, stage.app), 15, "the panelist publishes in Janus")
    token = page.evaluate("() => window.eventhubStage.creds.token")

    stage.act(manager, "remove", pid)

    wait_until(lambda: feed not in _room_publishers(media_env, stage.app), 15, "Janus no longer lists them")
    assert media_env.server is not None
    browser_side = JanusClient(JanusServer(name="panelist", url=media_env.server.url), timeout=5)
    with pytest.raises(JanusError) as err:  # their token is refused by Janus itself
        browser_side.request("", {"janus": "create", "token": token})
    assert err.value.code == 403


def test_relay_only_through_coturn(stage: Stage) -> None:
    manager = stage.manager()
    relay = "window.eventhubStageForceRelay = true;"
    screen = stage.screen()
    _page, pid, feed = stage.panelist(0, init_script=relay)
    stage.bring_live(manager, pid)
    home = stage.attendee(1, init_script=relay)
    stats = wait_until(lambda: (s := inbound(home, feed)) and s["frames"] > 5 and s["localType"] and s, 30,
                       "the attendee decodes the panelist through TURN")
    assert stats["localType"] == "relay"
    wait_until(lambda: screen.evaluate(TILE_WIDTH, feed) > 0, 20, "the screen (direct) sees them too")


def test_weak_link_keeps_audio_and_steps_down_without_reload(stage: Stage, media_env: MediaEnv) -> None:
    manager = stage.manager()
    _page, pid, feed = stage.panelist(1)
    stage.bring_live(manager, pid)
    home = stage.attendee(2)
    wait_until(lambda: (s := inbound(home, feed)) and s["frames"] > 10, 25, "the attendee receives video")
    home.evaluate("() => { window.__noReload = true; }")
    assert home.evaluate("() => window.eventhubStage.layer") == "high"
    media_env.ns.shape(300, drop_percent=3)
    try:
        def stepped() -> bool:
            print("weak link:", home.evaluate("() => [window.eventhubStage.layer, window.eventhubStage.stats]"))
            return home.evaluate("() => ['low', 'audio'].includes(window.eventhubStage.layer)")

        wait_until(stepped, 40, "the viewer steps down", interval=2)

        def audio() -> int:
            return (inbound(home, feed) or {}).get("audioPackets", 0)

        assert _grows(audio, 3.0), "audio keeps flowing on the weak link"
        assert home.evaluate("() => window.__noReload === true")  # same page: no reload
    finally:
        media_env.ns.unshape()


def test_an_expired_token_is_refused_by_janus_itself(stage: Stage, media_env: MediaEnv) -> None:
    """Tokens carry their expiry; the pool's sweep removes expired ones from Janus, which then refuses them."""
    assert media_env.server is not None
    pool = JanusPool([media_env.server])
    token = new_token(ttl=1)
    pool.client(media_env.server.name).add_token(token, ["janus.plugin.videoroom"])
    browser_side = JanusClient(JanusServer(name="browser", url=media_env.server.url), timeout=5)
    session = browser_side.request("", {"janus": "create", "token": token})["data"]["id"]
    time.sleep(1.1)
    pool.sweep_tokens()  # the app's own health loop sweeps the same Janus every second: it may have been first
    assert token not in {str(e.get("token", "")) for e in pool.client(media_env.server.name).list_tokens()}
    with pytest.raises(JanusError) as err:
        browser_side.request(str(session), {"janus": "keepalive", "token": token})
    assert err.value.code == 403
    with pytest.raises(JanusError) as err:
        browser_side.request("", {"janus": "create", "token": token})
    assert err.value.code == 403
    pool.close()


def test_a_janus_server_that_dies_mid_session_is_replaced_and_clients_rejoin(stage: Stage,
                                                                             media_env: MediaEnv) -> None:
    """Last in this module: it kills the Janus hosting the stage (restarted afterwards, same ports and secrets)."""
    manager = stage.manager()
    screen = stage.screen()
    _page, pid, feed = stage.panelist(0)
    stage.bring_live(manager, pid)
    wait_until(lambda: (s := inbound(screen, feed)) and s["frames"] > 5, 25, "the screen shows the panelist")
    room, dead = _stage_row(stage.app)
    setup = media_env.setup_named(dead)
    proc = media_env.janus_proc if dead == media_env.janus.name else media_env.janus2_proc
    proc.kill()  # a crash: no goodbye to anyone
    proc.wait(timeout=10)
    try:
        # The app's health loop takes the server out, the stage area re-creates the room on the other server…
        moved = wait_until(lambda: (row := _stage_row(stage.app))[1] != dead and row, 20,
                           "the stage is re-homed on the other Janus")
        # …and the panelist and the screen rejoin by themselves: the screen decodes the panelist again.
        wait_until(lambda: moved[1] and any(f for f in _room_publishers(media_env, stage.app)), 40,
                   "the panelist publishes on the new server")

        def screen_decodes() -> bool:
            subs = screen.evaluate("() => Object.keys(window.eventhubStage.subscribers || {}).map(Number)")
            return any((s := inbound(screen, f)) and s["frames"] > 5 for f in subs)

        wait_until(screen_decodes, 40, "the screen decodes the panelist from the new server")
        assert moved[0] != room or moved[1] != dead
    finally:
        new_proc = launcher.start(setup, media_env.ns.prefix)
        if dead == media_env.janus.name:
            media_env.janus_proc = new_proc
        else:
            media_env.janus2_proc = new_proc
        media_env.procs.append(new_proc)
