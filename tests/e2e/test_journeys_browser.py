"""Each role's journey in a real browser at phone size, from the email (read from the outbox) or the projected QR
code, against `python -m eventhub` with the demo data; plus what a first and a repeat visit cost on the wire."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.instance import cli_env

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ROUND_TABLE = "Table ronde Algérie–Mali : numérique et start-up"
PASSWORD = "bamako-2026"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone(contexts) -> Callable[..., Page]:
    """A phone's page (French, Bamako time); options override the phone's (`viewport=` for a laptop)."""
    return lambda **kw: contexts(**{**PHONE, **kw})[1]


def read_mail(instance: Path, recipient: str) -> str:
    """The newest email to `recipient`, as `flask outbox` prints it (what SMTP would have sent)."""
    env = cli_env(instance)
    deadline = time.monotonic() + 20
    while True:
        out = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "--limit", "50"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=60, check=True).stdout
        for block in out.split("--- #"):
            if f"to {recipient}\n" in block:
                return block
        assert time.monotonic() < deadline, f"no email to {recipient}"
        time.sleep(0.3)


def register(page: Page, live_server: str, name: str, email: str, mode: str) -> str:
    page.goto(f"{live_server}/")
    page.get_by_role("link", name=ROUND_TABLE).first.click()
    page.locator("main a[href$='/register']").click()
    page.locator("#name").fill(name)
    page.locator("#email").fill(email)
    page.locator("#country").select_option("ML")
    page.locator(f"input[name=mode][value={mode}]").check()
    page.locator("#consent").check()
    page.locator("form:has(#consent) button[type=submit]").click()
    page.wait_for_url(re.compile(r"/t/[^/?]+"))
    return page.url


def sign_in(page: Page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()


def test_attendee_from_email_to_live_page_and_projected_qr(phone, live_server: str, live_instance: Path):
    stamp = str(time.time_ns())[-7:]
    email = f"kadidia{stamp}@example.org"
    # Registers on a laptop-less phone; the confirmation email carries the live links and the backup code.
    first = phone()
    register(first, live_server, "Kadidia Traoré", email, "in_person")
    mail = read_mail(live_instance, email)
    live_links = re.findall(r"^- (.+?): (http\S+/t/\S+/qa/\d+)$", mail, re.M)
    assert live_links, mail
    assert re.search(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", mail)
    assert re.search(r"/t/\S+/agenda", mail)
    # From the email, straight into a session's live page, as herself.
    link = next(u for t, u in live_links if t.startswith("Session 1"))
    first.goto(link)
    expect(first.locator("#qa-ask")).to_be_visible()
    expect(first.locator("label[for=qa-text]")).to_contain_text("Kadidia Traoré")

    # Another phone: she opens her ticket from the email once…
    hall = phone()
    ticket_url = re.search(r"^(http\S+/t/[^/\s]+)$", mail, re.M).group(1)
    hall.goto(ticket_url)
    expect(hall.locator(".live-links a").first).to_be_visible()
    session_id = int(link.rsplit("/", 1)[1])
    # …then, in the hall, scans the projector's join QR code (its short link): the Q&A knows her, although
    # session 1 takes no anonymous questions.
    screen = phone(viewport={"width": 1280, "height": 720}, is_mobile=False, has_touch=False)
    screen.goto(f"{live_server}/qa/{session_id}/screen")
    short = screen.locator(".qa-join strong").inner_text()
    hall.goto(f"http://{short}")
    expect(hall.locator("#qa-ask")).to_be_visible()
    expect(hall.locator("#qa-no-identity")).to_be_hidden()
    expect(hall.locator("label[for=qa-text]")).to_contain_text("Kadidia Traoré")
    hall.locator("#qa-text").fill(f"Question {stamp} : quel accompagnement pour les incubateurs ?")
    hall.locator("#qa-ask button[type=submit]").click()
    mine = hall.locator("li.qa-item.is-mine", has=hall.locator(".qa-text", has_text=stamp))
    expect(mine).to_be_visible()
    expect(mine.locator("button.qa-vote")).to_be_disabled()  # no upvote of one's own question

    # Times are labelled with the place; the agenda link works from the ticket.
    hall.goto(ticket_url)
    expect(hall.locator("main")).to_contain_text("heure de Bamako (UTC+0)")
    hall.locator("a", has_text="Mon agenda").click()
    expect(hall.locator("main")).to_contain_text("heure de Bamako")


def test_remote_and_waitlisted_tickets_and_confirmed_cancel(phone, live_server: str, live_instance: Path):
    stamp = str(time.time_ns())[-7:]
    email = f"remote{stamp}@example.dz"
    page = phone()
    register(page, live_server, "Yacine Benali", email, "remote")
    expect(page.locator("#follow-online")).to_be_visible()
    expect(page.locator(".qr-box")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("entrée")
    mail = read_mail(live_instance, email)
    assert "CICB" not in mail and "entrée" not in mail and "/qa/" in mail
    # Self-cancel: asked first, with the truth about the seat.
    page.get_by_role("link", name=re.compile("Annuler mon inscription")).click()
    expect(page.locator("#seat-truth")).to_contain_text("place en ligne")
    page.get_by_role("button", name=re.compile("Oui, annuler")).click()
    expect(page.locator(".flash-success")).to_be_visible()


def test_remote_attendee_goes_from_the_confirmation_email_to_the_stage(phone, live_server: str,
                                                                      live_instance: Path):
    stamp = str(time.time_ns())[-7:]
    email = f"salima{stamp}@example.dz"
    register(phone(), live_server, "Salima Haddad", email, "remote")
    mail = read_mail(live_instance, email)
    # The round table's openings and panels have a stage (the welcome, the official opening, sessions 1 and 2):
    # each has its "watch the stage" line under its questions link; the break and the closing networking none.
    stages = re.findall(r"^  Suivre la scène en direct\u00a0: (http\S+/t/\S+/stage/(\d+))$", mail, re.M)
    assert len(stages) == 4, mail
    ticket_url = re.search(r"^(http\S+/t/[^/\s]+)$", mail, re.M).group(1)

    # On another phone, from the email's ticket link, one tap on session 1's stage.
    page = phone()
    page.goto(ticket_url)
    expect(page.locator("#follow-online")).to_contain_text("ouvrez sa scène")
    expect(page.locator(".live-links li", has_text="Pause").locator("a.stage-link")).to_have_count(0)
    session1 = page.locator(".live-links li", has_text="Session 1")
    session1.get_by_role("link", name="Suivre la scène en direct").click()
    page.wait_for_url(re.compile(r"/t/[^/]+/stage/\d+$"))
    assert page.url.rsplit("/", 1)[1] in {sid for _url, sid in stages}
    expect(page.locator("#stage h1")).to_contain_text("Session 1")
    expect(page.locator("#stage-closed")).to_be_visible()  # no media server here: the page says so, the rest works
    expect(page.locator("#qa-ask")).to_be_visible()  # her questions beside the stage, as herself
    expect(page.locator("label[for=qa-text]")).to_contain_text("Salima Haddad")
    expect(page.locator("#floor-live")).to_be_visible()
    # From the live Q&A page of the same session, the stage is one tap away too.
    page.go_back()
    session1.get_by_role("link", name="En direct : questions").click()
    page.locator("#watch-stage").click()
    page.wait_for_url(re.compile(r"/t/[^/]+/stage/\d+$"))


def test_door_staff_lands_on_scanner_types_a_backup_code_and_finds_names(phone, live_server: str,
                                                                          live_instance: Path):
    stamp = str(time.time_ns())[-7:]
    email = f"awa{stamp}@example.org"
    attendee = phone()
    register(attendee, live_server, "Awa Keïta", email, "in_person")
    code = attendee.locator("#backup-code").inner_text()
    assert code in read_mail(live_instance, email)

    door = phone()
    sign_in(door, live_server, "accueil@cicb.ml")
    door.wait_for_url(re.compile(r"/checkin/events/\d+/scan$"))
    door.locator("#backup").fill(code.lower())
    door.locator("#backup-form button[type=submit]").click()
    expect(door.locator("#result")).to_be_visible()
    expect(door.locator("#result-name")).to_have_text("Awa Keïta")
    expect(door.locator("#result")).to_have_attribute("data-result", "admitted")
    door.locator("#result").click()
    door.locator("#search").fill("keita")
    expect(door.locator("#search-results")).to_contain_text("Awa Keïta")
    expect(door.locator("#search-results")).to_contain_text("Moussa Keïta")


def test_moderator_lands_on_their_sessions_with_one_tap_to_console_and_screen(phone, live_server: str):
    page = phone()
    sign_in(page, live_server, "moderation@mda.ml")
    page.wait_for_url(re.compile(r"/manage/events/\d+/mine$"))
    row = page.locator("li[data-session]").first
    row.get_by_role("link", name="Console de modération").click()
    expect(page.locator("#qa-status")).to_be_visible()
    page.go_back()
    href = page.locator("li[data-session]").first.get_by_role("link", name="Écran de projection").get_attribute(
        "href")
    assert re.fullmatch(r"/qa/\d+/screen", href)


def _transfer(page: Page) -> dict[str, int]:
    """Bytes over the wire per URL for what the page loads, through the DevTools protocol."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
    cdp.on("Network.loadingFinished",
           lambda e: sizes.__setitem__(urls.get(e["requestId"], e["requestId"]), int(e["encodedDataLength"])))
    return sizes


def test_first_load_under_60_kb_and_repeat_qa_visit_under_2_kb(phone, live_server: str):
    page = phone()
    sizes = _transfer(page)
    ticket = register(page, live_server, "Mesure Poids", f"poids{time.time_ns()}@example.org", "in_person")
    qa_link = page.locator(".live-links a").first.get_attribute("href")
    pages = [f"{live_server}/", ticket, f"{live_server}{qa_link}"]
    page.goto(ticket)
    slug = re.search(r'href="/e/([^/"]+)/agenda', page.content())
    pages += [f"{live_server}/e/{slug.group(1)}/agenda"] if slug else []
    for url in pages:
        fresh = phone()
        weights = _transfer(fresh)
        fresh.goto(url)
        fresh.wait_for_load_state("networkidle")
        total = sum(v for k, v in weights.items() if "/socket.io/" not in k)
        print(f"first load {url.removeprefix(live_server)}: {total} bytes")
        assert total < 60_000, (url, weights)
    # A repeat visit to the Q&A page: only the page itself travels (static files are immutable, in cache).
    page.goto(f"{live_server}{qa_link}")
    page.wait_for_load_state("networkidle")
    sizes.clear()
    page.goto(f"{live_server}{qa_link}")
    page.wait_for_load_state("networkidle")
    repeat = {k: v for k, v in sizes.items() if "/socket.io/" not in k}
    print(f"repeat Q&A visit: {sum(repeat.values())} bytes {repeat}")
    assert sum(repeat.values()) <= 2048, repeat
