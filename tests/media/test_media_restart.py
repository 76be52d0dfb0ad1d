"""Restart continuity of a running stage: Janus carries the media, the app only signals. Reloading the hall's
screen page, and restarting the app server process (SIGTERM and start again, as a deploy does), leave the live
speaker on the screen: the screen's inbound video keeps growing, its socket reconnects and re-joins, and it shows
the live speaker again within a deadline; the speaker's page goes on publishing and reporting."""

from __future__ import annotations

import json
import time

import pytest

from tests.media.appserver import restart_app
from tests.media.conftest import MediaApp, MediaEnv, wait_until
from tests.media.test_media_stage import TILE_WIDTH, Stage, inbound, js_true

pytestmark = [pytest.mark.media, pytest.mark.timeout(900)]  # the first test also starts Janus, coturn, the app

RESTART_DEADLINE = 120  # seconds: a loaded 2-core machine takes ~30 s to import and start the app


@pytest.fixture
def stage(media_app: MediaApp, new_page) -> Stage:  # noqa: ANN001
    return Stage(media_app, new_page)


def _bytes(page, feed: int) -> int:  # noqa: ANN001
    return (inbound(page, feed) or {}).get("videoBytes", 0)


def _keeps_growing(page, feed: int, what: str, times: int = 3) -> None:  # noqa: ANN001
    """Inbound video bytes move `times` times in a row. A count lower than the last one is a fresh subscription
    (the page re-subscribed after its socket came back): it counts as long as it is counting. Each step may take
    up to 25 s: a re-subscription's ICE and DTLS took over 10 s on a CI machine at load 40 (seen once)."""
    last = _bytes(page, feed)
    for k in range(times):
        last = wait_until(lambda floor=last: (b := _bytes(page, feed)) != floor and b > 0 and b, 25,
                          f"{what} ({k + 1}/{times})", interval=0.3)


def _manage(manager, action: str, participant_id: int) -> None:  # noqa: ANN001
    """The console's own socket event (its buttons re-render with every quality report: clicking them races that
    on a loaded machine)."""
    ack = manager.evaluate("([action, id]) => window.eventhubStage.emit('manage', {action, participant_id: id})",
                           [action, participant_id])
    assert ack["ok"] is True, ack


def _showing(page, feed: int) -> bool:  # noqa: ANN001
    return page.evaluate(TILE_WIDTH, feed) > 0 and page.evaluate(
        "() => document.getElementById('stage-empty').hidden && "
        "document.getElementById('stage-live').dataset.count === '1'")


def test_screen_reload_and_app_restart_keep_the_live_speaker(stage: Stage, media_env: MediaEnv,
                                                             media_app: MediaApp) -> None:
    manager = stage.manager()
    screen = stage.screen()
    minister, pid, feed = stage.panelist(0)
    js_true(manager, f"!!document.querySelector('tr[data-participant=\"{pid}\"]')", 15, "the minister in the console")
    if manager.evaluate(f"() => document.querySelector('tr[data-participant=\"{pid}\"]').dataset.state") == "live":
        _manage(manager, "send_backstage", pid)  # an earlier test left them live: the stage is shared
    _manage(manager, "bring_live", pid)
    wait_until(lambda: _showing(screen, feed), 25, "the screen shows the minister")
    _keeps_growing(screen, feed, "the screen receives the minister's video")

    # (a) The screen page reloads: a new page, new socket, new Janus session, shows the speaker again.
    screen.reload()
    js_true(screen, "window.eventhubStage && window.eventhubStage.status === 'live' && !!window.eventhubStage.janus",
            30, "the reloaded screen re-joins the stage")
    wait_until(lambda: _showing(screen, feed), 30, "the reloaded screen shows the minister again")
    _keeps_growing(screen, feed, "the reloaded screen receives the minister's video")

    # (b) The app server restarts under a running stage.
    before = _bytes(screen, feed)
    restart_app(media_env.ns, media_app, timeout=RESTART_DEADLINE)
    # While the app was away Janus went on carrying the media.
    assert _bytes(screen, feed) > before, "the screen's video stopped while the app restarted"
    restarted = time.monotonic()
    js_true(screen, "window.eventhubStage.status === 'live'", 60, "the screen's socket reconnects and re-joins")
    seen: list = []

    def minister_back() -> bool:
        seen.append(minister.evaluate("() => [window.eventhubStage.status, window.eventhubStage.error || null, "
                                      "window.eventhubStage.socket.connected]"))
        return seen[-1][0] == "live"

    try:
        wait_until(minister_back, 120, "the minister's socket reconnects and re-joins", interval=1)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the minister's page said: {seen[-5:]}\n{media_app.logs()}") from None
    wait_until(lambda: _showing(screen, feed), 30, "the screen shows the live minister after the restart")
    _keeps_growing(screen, feed, "the screen's video keeps coming after the restart", times=5)
    print(f"screen back live {time.monotonic() - restarted:.1f}s after the app answered again")

    # The stage still works through the new process: the manager's console sees the minister joined (their
    # reports arrive) and can send them backstage; the screen then shows the idle state.
    row = f"document.querySelector('tr[data-participant=\"{pid}\"]')"
    js_true(manager, "window.eventhubStage.status === 'live'", 60, "the console reconnects")
    js_true(manager, f"{row} && {row}.dataset.connection === 'joined'", 20, "the console sees the minister joined")
    _manage(manager, "send_backstage", pid)
    js_true(screen, "!document.getElementById('stage-empty').hidden", 15, "the screen goes back to idle")
    ack = minister.evaluate("() => window.eventhubStage.emit('heartbeat', {token: window.eventhubStage.creds.token})")
    assert ack["ok"] is True, ack  # the join token issued before the restart is still good

    # The new process learns from the minister's own reports (their page sends one every 3 s) that their socket
    # publishes: its drop shows "reconnecting" to the stage manager (the process that issued their credentials is
    # gone). The drop waits for a report the console saw arrive from now on, so it cannot race the first one (a
    # page's timers run late in a busy browser).
    reported = f"window.eventhubStage.participants.get({pid}).reported_at"
    since = manager.evaluate(f"() => {reported}")
    js_true(manager, f"{reported} && {reported} > {json.dumps(since or '')}", 20,
            "the minister's page reports to the new process")
    minister.evaluate("() => window.eventhubStage.socket.disconnect()")
    try:
        js_true(manager, f"{row}.dataset.connection === 'reconnecting'", 15,
                "the console sees the minister's socket drop after the restart")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{media_app.logs()}") from None
    minister.evaluate("() => window.eventhubStage.socket.connect()")
    js_true(manager, f"{row}.dataset.connection === 'joined'", 20, "the minister reports joined again")
