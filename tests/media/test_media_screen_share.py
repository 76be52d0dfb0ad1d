"""Screen share on the stage: the stage manager allows it, the panelist shares their screen (Chromium's fake
display capture: `--use-fake-ui-for-media-stream` picks the whole screen, a 1280×720 test pattern, where the fake
camera is 640×480) and the hall's screen shows the shared screen in the panelist's tile: the video it decodes turns
from the camera's 4:3 to the screen's 16:9, and keeps coming."""

from __future__ import annotations

import pytest

from tests.media.conftest import MediaApp, wait_until
from tests.media.test_media_stage import TILE_WIDTH, Stage, js_true

pytestmark = [pytest.mark.media, pytest.mark.timeout(900)]  # the first test also starts Janus, coturn, the app

SHAPE = """(feed) => {
  const v = document.querySelector(`#stage-live [data-feed-id="${feed}"] video`);
  const st = window.eventhubStage; const sub = st && st.subscribers && st.subscribers[feed];
  const pc = sub && sub.handle && sub.handle.webrtcStuff && sub.handle.webrtcStuff.pc;
  if (!v || !pc) return null;
  return pc.getStats().then((report) => {
    let frames = 0;
    report.forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video") frames = s.framesDecoded || 0; });
    return { w: v.videoWidth, h: v.videoHeight, frames };
  });
}"""


@pytest.fixture
def stage(media_app: MediaApp, new_page) -> Stage:  # noqa: ANN001
    return Stage(media_app, new_page)


def _ratio(shape: dict | None) -> float:
    return shape["w"] / shape["h"] if shape and shape["h"] else 0.0


def test_a_panelist_shares_their_screen_and_the_hall_sees_it(stage: Stage) -> None:
    manager = stage.manager()
    screen = stage.screen()
    panelist, pid, feed = stage.panelist(1)
    stage.bring_live(manager, pid)
    wait_until(lambda: screen.evaluate(TILE_WIDTH, feed) > 0, 25, "the screen shows the panelist's camera")
    camera = wait_until(lambda: (s := screen.evaluate(SHAPE, feed)) and s["frames"] > 5 and s, 20,
                        "the screen decodes the camera")
    assert abs(_ratio(camera) - 4 / 3) < 0.05, camera
    assert panelist.locator("#share").is_hidden()  # not allowed yet

    stage.act(manager, "allow_screen", pid)
    js_true(panelist, "!document.getElementById('share').hidden", 15, "the share button appears once allowed")
    panelist.click("#share")

    shared = wait_until(lambda: (s := screen.evaluate(SHAPE, feed)) and abs(_ratio(s) - 16 / 9) < 0.05 and s, 30,
                        "the hall's screen shows the shared screen (16:9)")
    wait_until(lambda: (s := screen.evaluate(SHAPE, feed)) and s["frames"] > shared["frames"] + 10, 15,
               "the shared screen keeps coming")
    stage.act(manager, "deny_screen", pid)  # leave the shared stage as the next test expects it
