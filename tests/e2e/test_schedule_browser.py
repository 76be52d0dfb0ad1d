"""The organizer builds part of the schedule in a real browser; a remote panelist checks their camera.

Runs against `python -m eventhub` with the demo data (both scenario events have a published schedule).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

ORGANIZER, PASSWORD = "organisation@mda.ml", "bamako-2026"
CONNECT = "Mali Startup Connect"
ROUND_TABLE = "Table ronde Algérie–Mali : numérique et start-up"


def sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", ORGANIZER)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/manage"))


def event_id(page: Page, base_url: str, title: str) -> int:
    page.goto(f"{base_url}/manage")
    href = page.get_by_role("link", name=title, exact=True).first.get_attribute("href")
    return int(re.search(r"/manage/events/(\d+)", href).group(1))


@pytest.fixture
def laptop(browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR",
                                  timezone_id="Africa/Bamako")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
        assert not errors, f"JavaScript errors: {errors}"
    finally:
        context.close()


def test_organizer_creates_a_room_and_a_session_publishes_and_the_agenda_shows_it(laptop: Page, live_server: str):
    page = laptop
    sign_in(page, live_server)
    eid = event_id(page, live_server, CONNECT)
    base = f"{live_server}/manage/events/{eid}/schedule"

    page.goto(f"{base}/rooms")
    page.fill("input[name=name]", "Salle 3 — ateliers")
    page.fill("input[name=capacity]", "60")
    page.locator("form.card button[type=submit]").click()
    expect(page.locator("table")).to_contain_text("Salle 3 — ateliers")

    # Click an empty 14:00 slot of the new room in the day grid: the form opens with the room and time set.
    page.goto(base)
    room_id = page.locator(".room-head", has_text="Salle 3 — ateliers").get_attribute("data-room")
    slot = page.locator(f'a.cell[data-room="{room_id}"][data-at$="T14:00:00+00:00"]')
    slot.click()
    page.wait_for_url(re.compile(r"/sessions/new"))
    assert page.input_value("input[name=starts_at]").endswith("T14:00")
    assert page.input_value("select[name=room_id]") == room_id
    page.fill("input[name=title]", "Atelier <b>cybersécurité</b>")
    page.fill("textarea[name=description]", "Sécurité des frontières et des réseaux.")
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(re.compile(r"/schedule\?day="))
    block = page.locator(".block", has_text="Atelier <b>cybersécurité</b>")
    expect(block).to_be_visible()
    expect(block.locator(".badge-draft")).to_be_visible()

    # A refused drag: onto the 16:00 parallel session's room and time shows the server's message and snaps back.
    target = page.locator('a.cell[data-col="2"][data-at$="T16:00:00+00:00"]')
    block.evaluate("element => element.scrollIntoView({block: 'start'})")
    box, to = block.bounding_box(), target.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 8)
    page.mouse.down()
    page.mouse.move(to["x"] + 20, to["y"] + 5, steps=8)
    page.mouse.up()
    expect(page.locator("#grid-message")).to_contain_text("Financer")
    expect(block).to_have_class(re.compile(r"\brefused\b"))

    page.locator("form[action$='/schedule/publish'] button").click()
    expect(page.locator(".badge-published").first).to_be_visible()

    page.locator("nav.subnav a[href$='/agenda']").click()
    page.wait_for_url(re.compile(r"/e/[^/]+/agenda$"))
    item = page.locator(".agenda-item", has_text="Atelier <b>cybersécurité</b>")
    expect(item).to_be_visible()
    expect(item).to_contain_text("14:00")
    expect(item).to_contain_text("Salle 3 — ateliers")


def test_remote_panelist_sees_a_live_camera_preview(_playwright, live_server: str):
    """Own browser: Chromium's fake camera and auto-accepted permission prompt."""
    browser = _playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, timeout=60_000,
        args=[*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"])
    try:
        context = browser.new_context(locale="fr-FR", timezone_id="Africa/Algiers")
        context.set_default_timeout(15_000)
        page = context.new_page()
        sign_in(page, live_server)
        eid = event_id(page, live_server, ROUND_TABLE)
        # The organizer sends the Algerian minister their personal link; the outbox holds the email.
        page.goto(f"{live_server}/manage/events/{eid}/schedule/panelists")
        row = page.locator("tr", has_text="Yacine Boudiaf")
        row.locator("form[action$='/invite'] button").click()
        page.goto(f"{live_server}/manage/events/{eid}/outbox")
        page.locator("td a[href*='/outbox/']").first.click()  # the newest email
        link = re.search(r"https?://\S+/panelist/\S+", page.locator("pre.mail").inner_text()).group(0)
        context.clear_cookies()  # the panelist has no account: the link alone opens the page

        page.goto(link)
        expect(page.locator("h1")).to_have_text("Yacine Boudiaf")
        expect(page.locator(".panelist-page")).to_contain_text("Africa/Algiers")
        expect(page.locator(".panelist-page")).to_contain_text("UTC+1")
        page.locator("#device-check").click()
        page.wait_for_function(
            "() => { const v = document.getElementById('preview');"
            " return v && !v.hidden && !v.paused && v.readyState >= 2 && v.videoWidth > 0; }")
        width = page.evaluate("document.getElementById('preview').videoWidth")
        assert width > 0
        context.close()
    finally:
        browser.close()
