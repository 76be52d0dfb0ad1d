"""The attendee and door pages in Arabic at phone size, right to left: the event page, the registration form, the
ticket, the Q&A live page and the door scanner (and its result screen); and the floor and stage pages mid-session
(seeded through the services: tests/e2e/seed_stage_pages.py): the remote attendee's stage page with "You have the
floor" and the language choice, the interpreter's page and the remote panelist's stage page at phone size, the
floor console and the stage manager's console at laptop size. Each is screenshotted, must say `dir="rtl"` and
`lang="ar"`, and must not scroll or stick out sideways; axe-core (vendored, tests/e2e/vendor) must find no serious
or critical accessibility violation on them in Arabic, French and English.

Screenshots go to $EVENTHUB_TEST_ARTIFACTS/rtl (default test-artifacts/rtl, ignored by git)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.instance import seed

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
ROUND_TABLE = "Table ronde Algérie–Mali : numérique et start-up"
DOOR_STAFF, PASSWORD = "accueil@cicb.ml", "bamako-2026"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1280, "height": 800}}
BROWSER_LOCALES = {"ar": "ar-DZ", "fr": "fr-FR", "en": "en-US"}
PAGES = ("event", "register", "ticket", "qa", "scanner")
STAGE_PAGES = ("stage", "interpreter", "panelist-stage", "floor-console", "stage-console")
CONSOLES = ("floor-console", "stage-console")  # a laptop at the régie, not a phone
CONTEXT_TIMEOUT = 60_000  # ms: a shared 2-core machine under load

# Every visible element inside the viewport horizontally, unless a scrolling or clipping box of the page holds
# it (that box is then judged itself); the skip link and visually hidden labels sit off-screen on purpose.
OVERFLOW_JS = """() => {
  const se = document.scrollingElement, width = document.documentElement.clientWidth, out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('[hidden], .visually-hidden, a.skip:not(:focus)')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || style.position === 'fixed') continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    let held = false;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') { held = true; break; }
    }
    if (held) continue;
    if (r.left < -1 || r.right > width + 1) {
      const names = typeof el.className === 'string' ? el.className.trim().split(/\\s+/).filter(Boolean) : [];
      const what = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + names.map((n) => '.' + n).join('');
      out.push(`${what} [${Math.round(r.left)}, ${Math.round(r.right)}] of ${width}`);
    }
  }
  return { scrollWidth: se.scrollWidth, clientWidth: se.clientWidth, out };
}"""

AXE_RUN_JS = """async () => {
  const result = await window.axe.run(document, { resultTypes: ['violations'] });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
}"""


def artifacts() -> Path:
    base = Path(os.environ.get("EVENTHUB_TEST_ARTIFACTS") or ROOT / "test-artifacts")
    path = base / "rtl"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Urls:
    event: str
    register: str
    ticket: str
    qa: str
    scanner: str
    backup_code: str


def _options(lang: str, size: dict | None = None) -> dict:
    return {"locale": BROWSER_LOCALES[lang], "timezone_id": "Africa/Algiers", **(size or PHONE)}


def _context(browser: Browser, lang: str, size: dict | None = None) -> BrowserContext:
    context = browser.new_context(**_options(lang, size))
    context.set_default_timeout(CONTEXT_TIMEOUT)
    return context


def _sign_in_door(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", DOOR_STAFF)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/checkin/events/\d+/scan$"))


@pytest.fixture(scope="module")
def urls(browser: Browser, live_server: str) -> Urls:
    """One registration made in Arabic (its ticket and live page), and the door's scanner."""
    context = _context(browser, "ar")
    try:
        page = context.new_page()
        page.goto(f"{live_server}/")
        event = live_server + page.get_by_role("link", name=ROUND_TABLE).first.get_attribute("href")
        page.goto(event)
        register = live_server + page.locator("main a[href$='/register']").get_attribute("href")
        page.goto(register)
        stamp = str(time.time_ns())[-7:]
        page.locator("#name").fill("ليلى بن علي")
        page.locator("#email").fill(f"leila{stamp}@example.dz")
        page.locator("#country").select_option("DZ")
        page.locator("input[name=mode][value=in_person]").check()
        page.locator("#consent").check()
        page.locator("form:has(#consent) button[type=submit]").click()
        page.wait_for_url(re.compile(r"/t/[^/?]+"))
        ticket = page.url.split("?")[0]
        qa = live_server + page.locator(".live-links a").first.get_attribute("href")
        backup_code = page.locator("#backup-code").inner_text()
        _sign_in_door(page, live_server)
        return Urls(event=event, register=register, ticket=ticket, qa=qa, scanner=page.url, backup_code=backup_code)
    finally:
        context.close()


@pytest.fixture
def phone(contexts) -> Callable[..., Page]:
    """A phone's page in `lang` (Algiers time; `size`: another viewport), failing the test on any JavaScript
    error."""
    return lambda lang, size=None: contexts(timeout=CONTEXT_TIMEOUT, **_options(lang, size))[1]


def _open(page: Page, urls: Urls, name: str, live_server: str) -> None:
    if name == "scanner":
        _sign_in_door(page, live_server)
    else:
        page.goto(getattr(urls, name))
    page.wait_for_load_state("networkidle")
    if name == "qa":
        expect(page.locator("#qa-ask")).to_be_visible()


def _no_sideways_overflow(page: Page, what: str) -> None:
    found = page.evaluate(OVERFLOW_JS)
    assert found["scrollWidth"] <= found["clientWidth"], f"{what}: scrolls sideways ({found})"
    assert not found["out"], f"{what}: elements stick out of the viewport:\n" + "\n".join(found["out"])


@pytest.mark.parametrize("name", PAGES)
def test_arabic_page_reads_right_to_left_at_phone_size(phone, urls: Urls, live_server: str, name: str):
    page = phone("ar")
    _open(page, urls, name, live_server)
    assert page.evaluate("[document.documentElement.dir, document.documentElement.lang, document.dir]") == [
        "rtl", "ar", "rtl"]
    # The body text runs right to left, from the right edge: what the logical properties promise.
    assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
    page.screenshot(path=str(artifacts() / f"ar-{name}-360x740.png"), full_page=True)
    _no_sideways_overflow(page, name)


def test_arabic_scanner_result_screen(phone, urls: Urls, live_server: str):
    page = phone("ar")
    _open(page, urls, "scanner", live_server)
    page.locator("#backup").fill(urls.backup_code)
    page.locator("#backup-form button[type=submit]").click()
    result = page.locator("#result")
    expect(result).to_be_visible()
    expect(result).to_have_attribute("data-result", re.compile(r"admitted|already_checked_in"))
    expect(page.locator("#result-name")).to_have_text("ليلى بن علي")
    assert page.evaluate("getComputedStyle(document.getElementById('result')).direction") == "rtl"
    page.screenshot(path=str(artifacts() / "ar-scanner-result-360x740.png"))
    _no_sideways_overflow(page, "scanner result")


def test_ticket_codes_read_left_to_right_in_arabic(phone, urls: Urls, live_server: str):
    page = phone("ar")
    _open(page, urls, "ticket", live_server)
    code = page.locator("#backup-code")
    assert code.evaluate("el => getComputedStyle(el).direction") == "ltr"
    assert code.inner_text() == urls.backup_code


@pytest.mark.parametrize("lang", ("ar", "fr", "en"))
@pytest.mark.parametrize("name", PAGES)
def test_no_serious_accessibility_violation(phone, urls: Urls, live_server: str, name: str, lang: str):
    page = phone(lang)
    _open(page, urls, name, live_server)
    assert page.evaluate("document.documentElement.lang") == lang
    page.evaluate(AXE.read_text(encoding="utf-8"))  # through DevTools: the page's CSP does not apply
    violations = page.evaluate(AXE_RUN_JS)
    assert not violations, f"{name} in {lang}: " + "\n".join(
        f"{v['impact']} {v['id']}: {v['help']} — {v['nodes']}" for v in violations)


# --- the floor and the stage, mid-session ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def stage_pages(live_server: str, live_instance: Path) -> dict:
    """A session under way: stage live, a remote attendee with the floor, interpretation channels (one JSON)."""
    return seed(live_instance, "tests.e2e.seed_stage_pages")


def _sign_in(page: Page, live_server: str, email: str, password: str) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/manage"))


def _open_stage_page(page: Page, seeded: dict, name: str, live_server: str) -> None:
    """Opens one of STAGE_PAGES and waits until its live state is drawn (the sockets answered)."""
    sid, event_id = seeded["session_id"], seeded["event_id"]
    if name in CONSOLES:
        _sign_in(page, live_server, seeded["moderator_email"], seeded["moderator_password"])
    page.goto(live_server + {
        "stage": f"/t/{seeded['ticket']}/stage/{sid}",
        "interpreter": f"/floor/interpreter/{seeded['interpreter_token']}",
        "panelist-stage": f"/e/{seeded['slug']}/panelist/{seeded['panelist_token']}/stage/{sid}",
        "floor-console": f"/manage/events/{event_id}/floor/{sid}",
        "stage-console": f"/manage/events/{event_id}/stage/{sid}",
    }[name])
    if name == "stage":  # her accepted hand has the floor: the panel, her countdown, the languages offered
        expect(page.locator("#my-turn")).to_be_visible()
        expect(page.locator("#my-turn-timer .clock")).to_have_text(re.compile(r"^[+−]?\d+:\d\d$"))
        expect(page.locator("#floor-lang-row")).to_be_visible()
        expect(page.locator("#finish")).to_be_visible()  # "I've finished", media or not
        # On air and muted (no Janus here to go on air): her microphone switch and the banner, as the page shows
        # them then (stage-speaker.js), so their layout and contrast are judged too.
        page.evaluate("""() => { const b = document.getElementById('my-mute'); b.hidden = false;
          b.dataset.muted = 'true'; b.textContent = JSON.parse(document.getElementById('stage').dataset.i18n).unmute;
          document.getElementById('self-muted').hidden = false; }""")
    elif name == "interpreter":
        expect(page.locator("#floor-list li")).to_have_count(3)
        expect(page.locator("#floor-speaking bdi")).to_have_text(seeded["speaker_name"])
    elif name == "panelist-stage":  # brought live by the stage manager before joining: told to join
        expect(page.locator("#on-air-join")).to_be_visible()
    elif name == "floor-console":
        expect(page.locator("#floor-hands li.floor-item")).to_have_count(1)
        expect(page.locator("#floor-current .floor-timer .clock")).to_be_visible()
    else:
        expect(page.locator("#stage-people tr")).to_have_count(3)  # the room, the minister, the attendee
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("name", STAGE_PAGES)
def test_arabic_floor_and_stage_pages_read_right_to_left(phone, stage_pages: dict, live_server: str, name: str):
    size = LAPTOP if name in CONSOLES else PHONE
    page = phone("ar", size)
    _open_stage_page(page, stage_pages, name, live_server)
    assert page.evaluate("[document.documentElement.dir, document.documentElement.lang, document.dir]") == [
        "rtl", "ar", "rtl"]
    assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
    width, height = size["viewport"]["width"], size["viewport"]["height"]
    page.screenshot(path=str(artifacts() / f"ar-{name}-{width}x{height}.png"), full_page=True)
    _no_sideways_overflow(page, name)
    # Codes and clocks read left to right inside the Arabic text; no raw code or state word is shown.
    # In one evaluation: the countdown re-renders every second, and a locator held across it goes stale.
    directions = page.evaluate(
        "() => [...document.querySelectorAll('.floor-timer .clock')].map(el => getComputedStyle(el).direction)")
    assert set(directions) <= {"ltr"}, directions
    main = page.locator("main").inner_text()
    if name == "stage":
        expect(page.locator("#my-turn-h")).to_have_text("الكلمة لك")
        expect(page.locator("#finish")).to_have_text("انتهيت من كلمتي")
        expect(page.locator("#my-mute")).to_have_text("تشغيل الميكروفون")
        expect(page.locator("#self-muted")).to_have_text("الميكروفون مغلق: لا أحد يسمعك.")
        assert page.locator("#floor-lang option").all_inner_texts() == [
            "صوت القاعة (اللغة الأصلية)", "العربية", "الإنجليزية"]
        expect(page.locator("#stage-live figcaption strong").first).to_have_text("القاعة")  # not "La salle"
    elif name == "interpreter":
        expect(page.locator("h1")).to_have_text("الترجمة الفورية إلى العربية")
        assert "Relay" not in main and " en)" not in main
    elif name == "floor-console":
        assert not re.search(r"\b(moderator|panelist|attendee)\b", main), main
    elif name == "stage-console":
        expect(page.locator("#stage-state")).to_have_text("بث مباشر")
        assert not re.search(r"\b(live|backstage|offline|La salle)\b", main), main


@pytest.mark.parametrize("lang", ("ar", "fr", "en"))
@pytest.mark.parametrize("name", STAGE_PAGES)
def test_no_serious_accessibility_violation_on_floor_and_stage_pages(phone, stage_pages: dict, live_server: str,
                                                                      name: str, lang: str):
    page = phone(lang, LAPTOP if name in CONSOLES else PHONE)
    _open_stage_page(page, stage_pages, name, live_server)
    assert page.evaluate("document.documentElement.lang") == lang
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(AXE_RUN_JS)
    assert not violations, f"{name} in {lang}: " + "\n".join(
        f"{v['impact']} {v['id']}: {v['help']} — {v['nodes']}" for v in violations)
