"""Door check-in in Debian's Chromium against the real server: camera, handheld scanner, offline.

The camera is Chromium's fake capture device playing a one-frame Y4M made with Pillow from a real ticket's QR.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

EVENT_TITLE = "Table ronde Algérie–Mali : numérique et start-up"
DOOR_STAFF = ("accueil@cicb.ml", "bamako-2026")
_n = iter(range(1, 10_000))


@pytest.fixture(scope="module")
def event_id(live_server: str) -> int:
    items = requests.get(f"{live_server}/api/v1/events", timeout=10).json()["items"]
    return next(e["id"] for e in items if e["title"] == EVENT_TITLE)


def new_ticket(live_server: str, event_id: int, name: str, mode: str = "in_person") -> str:
    response = requests.post(f"{live_server}/api/v1/events/{event_id}/registrations", timeout=10, json={
        "name": name, "email": f"door{next(_n)}-{id(name)}@example.org", "country": "ML", "mode": mode,
        "organization": "Orange Mali", "consent": True})
    assert response.status_code == 201, response.text[:300]
    return response.json()["ticket"]["code"]


def qr_y4m(code: str, path: Path, width: int = 640, height: int = 480) -> Path:
    """One 4:2:0 frame: the ticket's QR (as the ticket PNG draws it) centred on white."""
    import io

    from eventhub.tickets import qr

    image = Image.open(io.BytesIO(qr.png(code, box_size=8))).convert("RGB")
    side = min(height - 40, image.width)
    image = image.resize((side, side), Image.NEAREST)
    frame = Image.new("RGB", (width, height), "white")
    frame.paste(image, ((width - side) // 2, (height - side) // 2))
    y, u, v = frame.convert("YCbCr").split()
    half = (width // 2, height // 2)
    data = y.tobytes() + u.resize(half, Image.BILINEAR).tobytes() + v.resize(half, Image.BILINEAR).tobytes()
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode() + b"FRAME\n" + data)
    return path


def sign_in_and_open_scanner(page: Page, base_url: str, event_id: int) -> None:
    page.goto(f"{base_url}/login")
    page.locator("#email").fill(DOOR_STAFF[0])
    page.locator("#password").fill(DOOR_STAFF[1])
    page.locator("form button[type=submit].primary").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto(f"{base_url}/checkin/events/{event_id}/scan")
    expect(page.locator("#scanner")).to_have_attribute("data-ready", "1")
    expect(page.locator("#snapshot-state")).to_have_text(re.compile(r"\d"))  # the offline copy is on the device


def expect_result(page: Page, color: str, result: str, timeout: int = 20_000) -> None:
    overlay = page.locator("#result")
    expect(overlay).to_be_visible(timeout=timeout)
    expect(overlay).to_have_class(re.compile(rf"\b{color}\b"), timeout=timeout)
    expect(overlay).to_have_attribute("data-result", result, timeout=timeout)


@pytest.fixture
def door(browser, live_server: str) -> Iterator[tuple[BrowserContext, Page]]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="fr-FR", timezone_id="Africa/Bamako")
    context.set_default_timeout(15_000)
    try:
        yield context, context.new_page()
    finally:
        context.close()


def test_camera_scan_is_green_then_amber_with_the_first_time(_playwright, live_server, event_id, tmp_path):
    code = new_ticket(live_server, event_id, "Kadiatou Touré")
    video = qr_y4m(code, tmp_path / "ticket.y4m")
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        *CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        context = browser.new_context(locale="fr-FR", timezone_id="Africa/Bamako",
                                      permissions=["camera"], base_url=live_server)
        context.set_default_timeout(15_000)
        page = context.new_page()
        sign_in_and_open_scanner(page, live_server, event_id)
        page.locator("#camera-toggle").click()
        expect_result(page, "green", "admitted")
        expect(page.locator("#result-name")).to_have_text("Kadiatou Touré")
        expect(page.locator("#result-org")).to_have_text("Orange Mali")
        # Back to scanning by itself; the same QR still in front of the camera is now a second scan.
        expect_result(page, "amber", "already_checked_in", timeout=30_000)
        expect(page.locator("#result-why")).to_have_text(re.compile(r"\d{1,2}:\d{2}"))
        context.close()
    finally:
        browser.close()


def test_handheld_scanner_types_the_code_and_enter(door, live_server, event_id):
    _context, page = door
    code = new_ticket(live_server, event_id, "Seydou Dembélé")
    sign_in_and_open_scanner(page, live_server, event_id)
    field = page.locator("#code")
    expect(field).to_be_focused()
    field.press_sequentially(code, delay=2)  # a keyboard-wedge scanner types fast, then Enter
    field.press("Enter")
    expect_result(page, "green", "admitted")
    expect(page.locator("#result-name")).to_have_text("Seydou Dembélé")
    expect(page.locator("#result")).to_be_hidden(timeout=5_000)  # returns to scanning by itself
    field.fill("NOT-A-TICKET")
    field.press("Enter")
    expect_result(page, "red", "unreadable")


def test_offline_scan_is_queued_then_synced(door, live_server, event_id):
    from eventhub.checkin.queries import ticket_key
    from eventhub.tickets import codes

    context, page = door
    code = new_ticket(live_server, event_id, "Awa Cissé")
    sign_in_and_open_scanner(page, live_server, event_id)
    point_id = page.locator("#point").input_value()

    context.set_offline(True)
    field = page.locator("#code")
    field.fill(code)
    field.press("Enter")
    expect_result(page, "green", "admitted")
    expect(page.locator("#result-name")).to_have_text("Awa Cissé")  # from the device's copy
    banner = page.locator("#net-banner")
    expect(banner).to_have_attribute("data-waiting", "1")
    expect(banner).to_have_attribute("data-state", "offline")
    expect(banner).to_have_text(re.compile(r"1"))

    context.set_offline(False)
    expect(banner).to_have_attribute("data-waiting", "0", timeout=20_000)
    expect(banner).to_have_attribute("data-state", "online")

    snapshot = context.request.get(f"{live_server}/checkin/events/{event_id}/snapshot").json()
    entry = snapshot["tickets"][ticket_key(codes.parse(code).secret)]
    assert point_id in entry["c"], "the offline scan was recorded on the server"


def test_offline_amber_remote_ticket_is_not_admitted_by_the_upload(door, live_server, event_id):
    """Issue 8: a remote ticket shown amber offline used to come back from sync as `admitted_upgrade`."""
    from eventhub.checkin.queries import ticket_key
    from eventhub.tickets import codes

    context, page = door
    code = new_ticket(live_server, event_id, "Oumar Keïta", mode="remote")
    sign_in_and_open_scanner(page, live_server, event_id)
    expect(page.locator("#verify-state")).to_be_hidden()  # Chromium has WebCrypto Ed25519
    point_id = page.locator("#point").input_value()
    context.set_offline(True)
    field = page.locator("#code")
    field.fill(code)
    field.press("Enter")
    expect_result(page, "amber", "remote_only")
    banner = page.locator("#net-banner")
    expect(banner).to_have_attribute("data-waiting", "1")
    context.set_offline(False)
    expect(banner).to_have_attribute("data-waiting", "0", timeout=20_000)
    snapshot = context.request.get(f"{live_server}/checkin/events/{event_id}/snapshot").json()
    entry = snapshot["tickets"][ticket_key(codes.parse(code).secret)]
    assert point_id not in entry["c"] and entry["m"] == "remote", "the upload admitted someone the device refused"


# Chromium without Ed25519 in WebCrypto (older builds): importKey refuses the algorithm.
NO_ED25519 = """(() => {
  const original = crypto.subtle.importKey.bind(crypto.subtle);
  crypto.subtle.importKey = (format, key, algorithm, ...rest) =>
    (algorithm && (algorithm === "Ed25519" || algorithm.name === "Ed25519"))
      ? Promise.reject(new DOMException("Unrecognized name.", "NotSupportedError"))
      : original(format, key, algorithm, ...rest);
})();"""


def test_without_webcrypto_ed25519_the_scanner_says_offline_verification_is_off(door, live_server, event_id):
    context, page = door
    context.add_init_script(NO_ED25519)
    sign_in_and_open_scanner(page, live_server, event_id)
    notice = page.locator("#verify-state")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Ed25519")
