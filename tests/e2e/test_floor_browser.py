"""The floor in real browsers against `python -m eventhub` with the demo data (round table, session 1).

The moderator gives the floor to the Algerian panelist from the console; the panelist's own page shows their
countdown. An attendee asks for the floor from the live page; the moderator accepts; the attendee sees it at once.
Then, on a phone in French (390×844), mid-session (tests/e2e/seed_stage_pages.py): what an attendee given the floor
and an interpreter see first, screenshotted for review into $EVENTHUB_TEST_ARTIFACTS/review.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.instance import seed

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ORGANIZER, MODERATOR, PASSWORD = "organisation@mda.ml", "moderation@mda.ml", "bamako-2026"
ROUND_TABLE = "Table ronde Algérie–Mali : numérique et start-up"
PANELIST = "Nadia Hamidi"  # remote, from Algiers, in sessions 1 and 2; the demo list has her


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/manage"))


def test_give_the_floor_countdown_and_raised_hand(contexts, live_server: str):
    stamp = str(int(time.time() * 1000))[-6:]
    # The organizer sends the Algerian panelist her personal link (the outbox holds the email).
    _oc, org = contexts()
    sign_in(org, live_server, ORGANIZER)
    href = org.get_by_role("link", name=ROUND_TABLE, exact=True).first.get_attribute("href")
    eid = int(re.search(r"/manage/events/(\d+)", href).group(1))
    org.goto(f"{live_server}/manage/events/{eid}/schedule/panelists")
    org.locator("tr", has_text=PANELIST).locator("form[action$='/invite'] button").click()
    org.goto(f"{live_server}/manage/events/{eid}/outbox")
    org.locator("td a[href*='/outbox/']").first.click()
    link = re.search(r"https?://\S+/panelist/\S+", org.locator("pre.mail").inner_text()).group(0)

    # The moderator opens the list of speakers of session 1, next to the Q&A console.
    _mc, mod = contexts(viewport={"width": 1024, "height": 1300})
    sign_in(mod, live_server, MODERATOR)
    mod.goto(f"{live_server}/manage/events/{eid}/qa")
    mod.get_by_role("link", name=re.compile("^Session 1")).click()
    session_id = int(re.search(r"/qa/(\d+)$", mod.url).group(1))
    mod.locator(f"a[href$='/floor/{session_id}']").click()
    expect(mod.locator("#floor-list li.floor-item")).to_have_count(5)  # the demo list: moderator + 4 panelists

    # The panelist opens her page from Algiers.
    _pc, panelist = contexts(timezone_id="Africa/Algiers")
    panelist.goto(link.replace("http://localhost", live_server) if link.startswith("http://localhost") else link)
    mine = panelist.locator(f".floor-mine-session[data-session='{session_id}']")
    expect(mine).to_have_count(1)
    expect(mine.locator(".floor-mine-timer")).to_have_text("")

    # The moderator gives her the floor: her page shows her countdown (5 minutes by default in the demo).
    mod.locator("li.floor-item", has_text=PANELIST).locator("button.primary").click()
    expect(mod.locator("#floor-current .floor-name")).to_have_text(PANELIST)
    expect(mod.locator("#floor-timer")).to_have_text(re.compile(r"^[45]:\d\d$"))
    expect(mine.locator(".floor-mine-timer")).to_have_text(re.compile(r"^[45]:\d\d$"))
    expect(mine.locator(".floor-mine-timer")).to_have_attribute("data-level", "ok")
    expect(mine.locator(".floor-mine-state")).not_to_have_text("")

    # An attendee registers on a phone and asks for the floor from the session's live page.
    _ac, phone = contexts(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.goto(f"{live_server}/")
    phone.get_by_role("link", name=ROUND_TABLE).first.click()
    phone.locator("main a[href$='/register']").click()
    phone.locator("#name").fill(f"Ousmane Diarra {stamp}")
    phone.locator("#email").fill(f"ousmane{stamp}@example.org")
    phone.locator("#country").select_option("ML")
    phone.locator("input[name=mode][value=remote]").check()
    phone.locator("#consent").check()
    phone.locator("form:has(#consent) button[type=submit]").click()
    phone.wait_for_url(re.compile(r"/t/[^/?]+"))
    code = urlsplit(phone.url).path.removeprefix("/t/")
    phone.goto(f"{live_server}/t/{code}/qa/{session_id}")
    expect(phone.locator("#floor-speaking")).to_contain_text(PANELIST)  # who speaks, live
    expect(phone.locator("#floor-hand")).to_be_visible()
    phone.locator("#floor-topic").fill("La dorsale <b>fibre</b>")
    phone.locator("#floor-in-room").check()  # they will speak from their seat, the hall's microphone
    phone.locator("#floor-hand-button").click()
    expect(phone.locator("#floor-hand-state")).to_have_attribute("data-status", "pending")
    expect(phone.locator("#floor-hand")).to_be_hidden()

    # The moderator sees the request in order and accepts it (audio only).
    request = mod.locator("#floor-hands li.floor-item", has_text=f"Ousmane Diarra {stamp}")
    expect(request).to_contain_text("La dorsale <b>fibre</b>")  # shown as text
    request.locator("button.primary").click()
    expect(mod.locator("#floor-list li.floor-item", has_text=f"Ousmane Diarra {stamp}")).to_have_count(1)
    expect(mod.locator("#floor-hands li.floor-item")).to_have_count(0)

    # The attendee sees it at once.
    expect(phone.locator("#floor-hand-state")).to_have_attribute("data-status", "accepted")
    expect(phone.locator("#floor-finish-row")).to_be_hidden()

    # The moderator gives them the floor; from their seat, their phone hands it back ("I've finished").
    mod.locator("#floor-list li.floor-item", has_text=f"Ousmane Diarra {stamp}").locator("button.primary").click()
    expect(mod.locator("#floor-current .floor-name")).to_have_text(f"Ousmane Diarra {stamp}")
    expect(phone.locator("#floor-speaking")).to_contain_text(f"Ousmane Diarra {stamp}")
    expect(phone.locator("#floor-go-stage")).to_be_hidden()  # in the room: nothing to publish from the stage page
    expect(phone.locator("#floor-finish-row")).to_be_visible()
    review_shot(phone, "qa-in-room-finish-390x844")
    phone.locator("#floor-finish").click()
    expect(phone.locator("#floor-finish-row")).to_be_hidden()
    expect(phone.locator("#floor-speaking .muted")).to_be_visible()  # nobody has the floor
    expect(mod.locator("#floor-current p.muted")).to_be_visible()  # the moderator's console follows
    expect(mod.locator("#floor-current .floor-name")).to_have_count(0)


# --- under pressure, in French: the attendee given the floor and the interpreter --------------------------------

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def review_shot(page: Page, name: str) -> None:
    base = Path(os.environ.get("EVENTHUB_TEST_ARTIFACTS") or ROOT / "test-artifacts") / "review"
    base.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(base / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def mid_session(live_server: str, live_instance: Path) -> dict:
    return seed(live_instance, "tests.e2e.seed_stage_pages")


def test_attendee_given_the_floor_sees_it_first_in_french(contexts, live_server: str, mid_session: dict):
    _c, page = contexts(**PHONE_390)
    page.goto(f"{live_server}/t/{mid_session['ticket']}/stage/{mid_session['session_id']}")
    turn = page.locator("#my-turn")
    expect(turn).to_be_visible()
    expect(turn.locator("h2")).to_have_text("Vous avez la parole")
    expect(page.locator("#my-turn-timer .clock")).to_have_text(re.compile(r"^\+?\d+:\d\d$"))  # her own time
    expect(turn.locator("#my-turn-audio")).to_contain_text("« Prendre la parole »")
    expect(turn.locator("#my-turn-audio")).to_contain_text("sans caméra")
    # No media server here: the button cannot work, and she is told why, in the panel.
    expect(page.locator("#join")).to_have_text("Prendre la parole")
    expect(page.locator("#join")).to_be_disabled()
    expect(page.locator("#my-turn-status")).to_contain_text("serveur média n'est pas disponible")
    box = turn.bounding_box()
    assert box and box["y"] + box["height"] <= 844, "the panel is on the first screen"
    expect(page.locator("#floor-hand")).to_be_hidden()  # she is on the list: nothing to ask
    expect(page.locator("#floor-speaking")).to_have_text(f"À la parole : {mid_session['speaker_name']}")
    assert page.locator("#floor-lang option").all_inner_texts() == ["Salle (version originale)", "Arabe", "Anglais"]
    review_shot(page, "fr-stage-my-turn-390x844")

    # Her live Q&A page (no sound there) sends her to the stage to speak, and for the interpretation.
    page.goto(f"{live_server}/t/{mid_session['ticket']}/qa/{mid_session['session_id']}")
    expect(page.locator("#floor-go-stage a")).to_have_text("Vous avez la parole : parlez depuis la page de la scène")
    expect(page.locator("#floor-lang-stage")).to_contain_text("Interprétation disponible : arabe, anglais.")
    expect(page.locator("#floor-lang-row")).to_be_hidden()
    review_shot(page, "fr-qa-my-turn-390x844")
    page.locator("#floor-go-stage a").click()
    expect(page.locator("#my-turn")).to_be_visible()


def test_interpreter_page_in_french_microphone_first(contexts, live_server: str, mid_session: dict):
    _c, page = contexts(**PHONE_390)
    page.goto(f"{live_server}/floor/interpreter/{mid_session['interpreter_token']}")
    expect(page.locator("h1")).to_have_text("Interprétation en arabe")
    expect(page.locator("#floor-status")).to_have_text("Connecté")  # not "En direct": that would read as on air
    headings = page.locator("main h2").all_inner_texts()
    assert headings[:3] == ["Mon micro", "À la parole", "Orateurs suivants"], headings
    expect(page.locator("#interp-mic")).to_have_text("Commencer l'interprétation")
    expect(page.locator("#interp-mic")).to_be_disabled()  # no media server here: said just above it
    expect(page.locator("#interp-on-air")).to_be_hidden()
    expect(page.locator("#floor-speaking")).to_have_text(mid_session["speaker_name"])
    expect(page.locator("#floor-list li")).to_have_text(["Ibrahim Touré", "Aïssata Diallo", "Yacine Boudiaf"])
    assert page.locator("#floor-relay option").all_inner_texts() == [
        "Salle (version originale)", "Relais : anglais (Sarah Johnson)"]
    review_shot(page, "fr-interpreter-390x844")
