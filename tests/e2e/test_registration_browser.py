"""A visitor registers from a phone, in French, with an Arabic name, against the real server.

Runs `python -m eventhub` (gevent) with the demo data and drives Debian's Chromium through Playwright.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import zxingcpp
from babel.support import Translations
from PIL import Image
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
EVENT_TITLE = "Table ronde Algérie–Mali : numérique et start-up"
ARABIC_NAME = "أمينة بوزيد"
ORGANIZATION = "Société d'Études Numériques — Tlemcen & Bamako"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
TICKET_URL = re.compile(r"/t/([A-Z2-7]{122})\?new=1$")


@dataclass
class Visit:
    page: Page
    base_url: str
    requested: list[str] = field(default_factory=list)

    def assert_only_local_requests(self) -> None:
        outside = [u for u in self.requested
                   if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                   and urlsplit(u).hostname not in LOCAL_HOSTS]
        assert not outside, f"requests left the machine: {outside}"
        assert self.requested, "no request was recorded"


@pytest.fixture
def phone(browser, live_server: str) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="fr-FR", timezone_id="Africa/Algiers")
    context.set_default_timeout(15_000)
    page = context.new_page()
    visit = Visit(page=page, base_url=live_server)
    page.on("request", lambda req: visit.requested.append(req.url))
    try:
        yield visit
    finally:
        context.close()


def french(msgid: str) -> str:
    """The French catalog's translation of `msgid`, as the server (which reads the same .mo files) renders it."""
    catalog = Translations.load(str(ROOT / "eventhub" / "translations"), ["fr"])
    text = catalog.gettext(msgid)
    if text == msgid:
        pytest.fail(f"no French translation of {msgid!r} in eventhub/translations/fr (is the catalog written and "
                    "compiled? `make translations`)")
    return text


def open_registration_form(visit: Visit) -> None:
    page = visit.page
    page.goto(visit.base_url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("link", name=EVENT_TITLE).click()
    expect(page).to_have_url(re.compile(r"/e/[a-z0-9-]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(EVENT_TITLE)
    page.locator("main a[href$='/register']").click()
    expect(page).to_have_url(re.compile(r"/e/[a-z0-9-]+/register$"))


def test_register_from_a_phone_and_scan_the_ticket(phone: Visit, tmp_path: Path) -> None:
    page = phone.page
    open_registration_form(phone)

    page.locator("#name").fill(ARABIC_NAME)
    page.locator("#email").fill("amina.bouzid@example.dz")
    page.locator("#organization").fill(ORGANIZATION)
    page.locator("#job_title").fill("Chargée de projets")
    page.locator("#country").select_option("ML")
    page.locator("input[name=mode][value=in_person]").check()
    page.locator("#consent").check()
    page.locator("form:has(#consent) button[type=submit]").click()

    expect(page).to_have_url(TICKET_URL)
    code = urlsplit(page.url).path.removeprefix("/t/")

    holder = page.locator(".holder")
    expect(holder).to_have_text(ARABIC_NAME)
    assert holder.evaluate("el => getComputedStyle(el).direction") == "rtl"
    expect(page.get_by_text(ORGANIZATION, exact=True)).to_be_visible()

    qr_box = page.locator("div.qr-box")
    expect(qr_box.locator("svg.qr")).to_have_count(1)
    shot = qr_box.screenshot()
    page.screenshot(path=tmp_path / "ticket.png", full_page=True)
    (tmp_path / "qr.png").write_bytes(shot)  # kept by pytest's tmp_path for a look when this fails
    barcodes = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert [b.format for b in barcodes] == [zxingcpp.BarcodeFormat.QRCode], f"see {tmp_path / 'qr.png'}"
    assert barcodes[0].text == code

    phone.assert_only_local_requests()


def test_incomplete_form_shows_french_errors_and_keeps_input(phone: Visit) -> None:
    page = phone.page
    open_registration_form(phone)

    page.locator("#name").fill("Aminata Traoré")
    page.locator("form:has(#consent) button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/e/[a-z0-9-]+/register$"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#name")).to_have_value("Aminata Traoré")
    expect(page.locator("#email")).to_have_value("")
    expect(page.locator("form .flash-error[role=alert]")).to_have_text(french("Please correct the errors below."))

    email = page.locator("#email")
    expect(email).to_have_attribute("aria-invalid", "true")
    error_id = email.get_attribute("aria-describedby")
    email_error = page.locator(f"#{error_id}")
    expect(email_error).to_be_visible()
    expect(email_error).to_have_text(french("Required."))
    # "next to": the message sits in the email field's own block, right after the input.
    expect(page.locator(".field.has-error", has=email).locator("ul.errors")).to_have_text(french("Required."))
    expect(page.locator("#consent-err")).to_have_text(french("Please accept the privacy notice to register."))
    expect(page.locator("#name")).not_to_have_attribute("aria-invalid", "true")

    phone.assert_only_local_requests()
