"""The organizers' live dashboard in a real browser: a door check-in and a new question appear without reload.
Also the organizer's menu leads to the final report, previewed in French and in Arabic (right to left)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Page, expect

EVENT_TITLE = "Table ronde Algérie–Mali : numérique et start-up"
ORGANIZER = ("organisation@mda.ml", "bamako-2026")
DOOR_STAFF = ("accueil@cicb.ml", "bamako-2026")
pytestmark = pytest.mark.browser


@pytest.fixture
def contexts(browser) -> Iterator:
    made = []

    def make(**kw):  # noqa: ANN003, ANN202
        context = browser.new_context(locale="fr-FR", timezone_id="Africa/Bamako", **kw)
        context.set_default_timeout(30_000)
        made.append(context)
        return context, context.new_page()

    yield make
    for context in made:
        context.close()


def _sign_in(page: Page, base: str, who: tuple[str, str]) -> None:
    page.goto(f"{base}/login")
    page.locator("#email").fill(who[0])
    page.locator("#password").fill(who[1])
    page.locator("form button[type=submit].primary").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def _event_id(base: str) -> int:
    items = requests.get(f"{base}/api/v1/events", timeout=10).json()["items"]
    return next(e["id"] for e in items if e["title"] == EVENT_TITLE)


def test_dashboard_shows_a_checkin_and_a_question_without_reload(contexts, live_server):
    event_id = _event_id(live_server)
    _oc, dash = contexts(viewport={"width": 1280, "height": 900})
    _sign_in(dash, live_server, ORGANIZER)
    dash.goto(f"{live_server}/manage/events/{event_id}")
    dash.get_by_role("link", name="Tableau de bord en direct").first.click()
    expect(dash.locator("#dash-state")).to_have_text("●")
    checked_in = dash.locator("[data-dash=checked_in]")
    before = int(checked_in.inner_text())
    loaded_at = dash.evaluate("performance.timeOrigin")

    # A new attendee registers and is scanned at the door (keyboard-wedge scanner on the door staff's phone).
    stamp = str(int(time.time() * 1000))[-6:]
    response = requests.post(f"{live_server}/api/v1/events/{event_id}/registrations", timeout=10, json={
        "name": f"Awa Sangaré {stamp}", "email": f"awa{stamp}@example.org", "country": "ML", "mode": "in_person",
        "consent": True})
    assert response.status_code == 201, response.text[:300]
    code = response.json()["ticket"]["code"]
    _dc, door = contexts(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    _sign_in(door, live_server, DOOR_STAFF)
    door.goto(f"{live_server}/checkin/events/{event_id}/scan")
    expect(door.locator("#scanner")).to_have_attribute("data-ready", "1")
    field = door.locator("#code")
    field.press_sequentially(code, delay=2)
    field.press("Enter")
    expect(door.locator("#result")).to_have_attribute("data-result", "admitted", timeout=20_000)
    expect(checked_in).to_have_text(str(before + 1), timeout=20_000)

    # The same attendee asks a question in session 2: it waits for moderation, and the dashboard counts it.
    row = dash.locator("#dash-sessions tr", has_text="Session 2")
    pending = row.locator("[data-col=pending]")
    pending_before = int(pending.inner_text())
    session_id = int(row.get_attribute("data-session-id"))
    _ac, phone = contexts(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.goto(f"{live_server}/t/{code}/qa/{session_id}")
    expect(phone.locator("#qa-ask")).to_be_visible()
    phone.locator("#qa-text").fill(f"Quel budget pour la cybersécurité commune ? {stamp}")
    phone.locator("#qa-ask button[type=submit]").click()
    expect(dash.locator("#dash-sessions tr", has_text="Session 2").locator("[data-col=pending]")).to_have_text(
        str(pending_before + 1), timeout=20_000)
    assert dash.evaluate("performance.timeOrigin") == loaded_at  # never reloaded


def test_report_preview_in_french_and_arabic_from_the_menu(contexts, live_server):
    event_id = _event_id(live_server)
    _oc, page = contexts(viewport={"width": 1280, "height": 900})
    _sign_in(page, live_server, ORGANIZER)
    page.goto(f"{live_server}/manage/events/{event_id}")
    page.get_by_role("link", name="Rapport final").first.click()
    expect(page.locator(".report-preview h2").first).to_have_text("L'événement")
    expect(page.locator(".report-preview")).to_contain_text("Raccorder Bamako à la dorsale transsaharienne")
    page.get_by_role("link", name="العربية").click()
    expect(page.locator(".report-preview article")).to_have_attribute("dir", "rtl")
    expect(page.locator(".report-preview")).to_contain_text("التوصيات")
    with page.expect_download(timeout=300_000) as download:  # rendered on demand: slow on a loaded machine
        page.get_by_role("link", name="PDF brouillon").click(no_wait_after=True)
    assert download.value.suggested_filename.endswith("-draft-ar.pdf")
