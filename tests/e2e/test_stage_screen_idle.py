"""The hall's stage screen while nobody is live, at 1920×1080 and 1280×720: the session's title (centred) and
time, « Personne n'est encore à l'antenne. », the next session in the room, the QR code and short address of the
session's Q&A; nothing outside the viewport. Then the stage manager brings the minister live (through the /stage
socket, as the console does) and the screen switches to the live layout; sent backstage, the idle screen returns.
No media server here: the page says so and everything else works (the media tests cover the video)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import requests
import socketio
from playwright.sync_api import expect

from tests.e2e.instance import seed
from tests.live_server import login_cookie

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]  # the first test also starts the server

SIZES = [(1920, 1080), (1280, 720)]
WAIT = 15.0

MEASURE = """() => {
  const vw = window.innerWidth, vh = window.innerHeight, out = [];
  for (const el of document.querySelectorAll("main *")) {
    if (el.closest("[hidden]")) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.left < -0.5 || r.top < -0.5 || r.right > vw + 0.5 || r.bottom > vh + 0.5)
      out.push(`${el.tagName}.${el.className} ${[r.left, r.top, r.right, r.bottom].map(Math.round)}`);
  }
  const scroll = document.scrollingElement;
  const h1 = document.querySelector(".stage-screen-head h1").getBoundingClientRect();
  const qr = document.querySelector("#stage-empty .stage-idle-qr svg");
  return { out, scrollW: scroll.scrollWidth, scrollH: scroll.scrollHeight,
           h1Centre: (h1.left + h1.right) / 2, vw, qr: qr ? qr.getBoundingClientRect().width : 0,
           qrPath: qr ? qr.querySelector("path").getAttribute("d").length : 0 };
}"""


@pytest.fixture(scope="module")
def hall(live_server: str, live_instance: Path) -> dict:
    return seed(live_instance, "tests.e2e.seed_stage_screen")


@pytest.fixture(scope="module")
def console(live_server: str, hall: dict):
    """The stage manager's socket (the console's own events, with the moderator's session cookie)."""
    sio = socketio.Client(reconnection=False, request_timeout=WAIT)
    cookie = login_cookie(live_server, hall["moderator_email"], hall["moderator_password"], timeout=WAIT)
    sio.connect(live_server, transports=["websocket"], namespaces=["/stage"], headers={"Cookie": cookie},
                wait_timeout=WAIT)
    ack = sio.call("join", {"session_id": hall["session_id"], "role": "manager"}, namespace="/stage", timeout=WAIT)
    assert ack["ok"] and ack["data"]["role"] == "manager", ack
    yield lambda action: sio.call("manage", {"session_id": hall["session_id"], "action": action,
                                             "participant_id": hall["participant_id"]},
                                  namespace="/stage", timeout=WAIT)
    sio.disconnect()


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_idle_screen_then_live_layout(browser, live_server: str, hall: dict, console, width: int,
                                      height: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR")
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        response = page.goto(f"{live_server}/stage/{hall['session_id']}/screen?key={hall['screen_key']}")
        assert response is not None and response.status == 200
        page.wait_for_function("() => window.eventhubStage && window.eventhubStage.status === 'live'")
        idle = page.locator("#stage-empty")
        expect(idle).to_be_visible()
        expect(idle.locator(".stage-idle-nobody")).to_have_text("Personne n'est encore à l'antenne.")
        expect(idle.locator(".stage-idle-next")).to_contain_text(hall["next_title"])
        expect(idle.locator(".stage-idle-next")).to_contain_text("Session suivante")
        expect(page.locator(".stage-screen-head h1")).to_have_text(hall["session_title"])
        expect(page.locator(".stage-screen-when")).to_contain_text("heure de Bamako")
        join = idle.locator(".stage-idle-join strong")
        expect(join).to_have_text(re.compile(r"^[^/]+/q/[a-z0-9]+$"))
        short = join.inner_text()
        assert requests.get(f"http://{short}", timeout=WAIT, allow_redirects=False).status_code == 302
        if os.environ.get("SCREEN_SHOTS"):
            page.screenshot(path=f"{os.environ['SCREEN_SHOTS']}/stage-idle-{width}x{height}.png")
        m = page.evaluate(MEASURE)
        assert m["out"] == [], f"outside the {width}×{height} viewport: {m['out']}"
        assert m["scrollW"] <= width and m["scrollH"] <= height, m
        assert abs(m["h1Centre"] - width / 2) <= 2, m  # the title is centred on the screen
        assert m["qr"] >= 200 and m["qrPath"] > 100, m  # a QR code a phone reads from the back of the hall
        assert page.locator("#stage-live .stage-tile:not([hidden])").count() == 0

        assert console("bring_live")["ok"] is True
        expect(idle).to_be_hidden()
        tile = page.locator(f"#stage-live .stage-tile[data-participant='{hall['participant_id']}']")
        expect(tile).to_be_visible()
        expect(tile).to_contain_text("Ministre Amina Benali")
        assert page.locator("#stage-live").get_attribute("data-count") == "1"
        if os.environ.get("SCREEN_SHOTS"):
            page.screenshot(path=f"{os.environ['SCREEN_SHOTS']}/stage-live-{width}x{height}.png")
        m = page.evaluate(MEASURE)
        assert m["out"] == [], f"live layout outside the {width}×{height} viewport: {m['out']}"

        assert console("send_backstage")["ok"] is True
        expect(idle).to_be_visible()
        expect(tile).to_be_hidden()
    finally:
        context.close()
    assert not errors, errors
