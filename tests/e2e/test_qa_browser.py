"""Live Q&A in real browsers against `python -m eventhub` with the demo data (round table, session 2).

An attendee registers and asks from their ticket link; the moderator approves and pins it from the console; the
projector shows it; another (anonymous, remote) attendee's upvote appears on the first attendee's page; a phone
that goes offline comes back with everything it missed and nothing twice.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

MODERATOR, PASSWORD = "moderation@mda.ml", "bamako-2026"
ROUND_TABLE = "Table ronde Algérie–Mali : numérique et start-up"


def question_item(page: Page, text: str):
    return page.locator("li.qa-item", has=page.locator(".qa-text", has_text=text))


def test_ask_moderate_pin_project_vote_and_catch_up(contexts, live_server: str):
    stamp = str(int(time.time() * 1000))[-6:]
    # The moderator opens the console of the round table's session 2 on a tablet.
    _mc, mod = contexts(viewport={"width": 800, "height": 1200})
    mod.goto(f"{live_server}/login")
    mod.fill("input[name=email]", MODERATOR)
    mod.fill("input[name=password]", PASSWORD)
    mod.locator("form button[type=submit]").last.click()
    mod.wait_for_url(re.compile(r"/manage"))
    href = mod.get_by_role("link", name=ROUND_TABLE, exact=True).first.get_attribute("href")
    event_id = int(re.search(r"/manage/events/(\d+)", href).group(1))
    mod.goto(f"{live_server}/manage/events/{event_id}/qa")
    mod.get_by_role("link", name=re.compile("^Session 2")).click()
    session_id = int(re.search(r"/qa/(\d+)$", mod.url).group(1))
    expect(mod.locator("#qa-status")).to_have_class(re.compile(r"^(?!.*flash-error)"))
    expect(mod.locator("#qa-live li.qa-item")).to_have_count(3)  # the demo's approved questions

    # Attendee A registers on a phone and opens the Q&A from their ticket link.
    _ac, alice = contexts(viewport={"width": 390, "height": 844}, is_mobile=True)
    alice.goto(f"{live_server}/")
    alice.get_by_role("link", name=ROUND_TABLE).first.click()
    alice.locator("main a[href$='/register']").click()
    alice.locator("#name").fill("Aïcha Maïga")
    alice.locator("#email").fill(f"aicha{stamp}@example.org")
    alice.locator("#country").select_option("ML")
    alice.locator("input[name=mode][value=in_person]").check()
    alice.locator("#consent").check()
    alice.locator("form:has(#consent) button[type=submit]").click()
    alice.wait_for_url(re.compile(r"/t/[^/?]+"))
    code = urlsplit(alice.url).path.removeprefix("/t/")
    alice.goto(f"{live_server}/t/{code}/qa/{session_id}")

    # Attendee B follows remotely without a ticket (session 2 allows anonymous participants).
    bob_context, bob = contexts(viewport={"width": 390, "height": 844}, is_mobile=True)
    bob.goto(f"{live_server}/qa/{session_id}")
    # The projector.
    _pc, screen = contexts(viewport={"width": 1920, "height": 1080})
    screen.goto(f"{live_server}/qa/{session_id}/screen")
    expect(screen.locator("#qa-top li")).to_have_count(3)

    text = f"Quel calendrier pour la fibre ? <b>#{stamp}</b>"
    expect(alice.locator("#qa-ask")).to_be_visible()
    alice.locator("#qa-text").fill(text)
    alice.locator("#qa-ask button[type=submit]").click()
    mine = question_item(alice, text)
    expect(mine).to_have_count(1)
    expect(mine).to_have_class(re.compile("status-pending"))  # seen at once, while it waits
    expect(mine.locator(".qa-text")).to_have_text(text)  # HTML shown as text
    expect(question_item(bob, text)).to_have_count(0)

    pending = question_item(mod, text)
    expect(pending).to_have_count(1)
    expect(mod.locator("#qa-pending")).to_contain_text(text)
    pending.locator("button[data-action=approve]").click()
    expect(question_item(bob, text)).to_have_count(1)
    question_item(mod, text).locator("button[data-action=pin]").click()
    expect(screen.locator(".qa-pinned-text")).to_have_text(text)
    expect(screen.locator(".qa-pinned-author")).to_have_text("Aïcha Maïga")
    assert screen.locator(".qa-pinned-text").evaluate("el => parseFloat(getComputedStyle(el).fontSize)") >= 60

    # Bob's upvote appears on Alice's page.
    question_item(bob, text).locator("button.qa-vote").click()
    expect(question_item(bob, text).locator(".qa-votes")).to_have_text("1")
    expect(question_item(alice, text).locator(".qa-votes")).to_have_text("1")

    # Bob's phone loses the network; meanwhile Alice asks again, it is approved, the first one is answered.
    bob_context.set_offline(True)
    expect(bob.locator("#qa-status")).to_have_class(re.compile("flash-error"), timeout=60_000)
    second = f"Et la cybersécurité aux frontières ? #{stamp}"
    alice.locator("#qa-text").fill(second)
    alice.locator("#qa-ask button[type=submit]").click()
    expect(question_item(mod, second)).to_have_count(1)
    question_item(mod, second).locator("button[data-action=approve]").click()
    question_item(mod, text).locator("button[data-action=answer]").click()
    expect(question_item(alice, text)).to_have_class(re.compile("status-answered"))
    expect(question_item(bob, second)).to_have_count(0)

    bob_context.set_offline(False)
    expect(question_item(bob, second)).to_have_count(1, timeout=30_000)
    expect(question_item(bob, text)).to_have_class(re.compile("status-answered"))
    expect(question_item(bob, text)).to_have_count(1)  # nothing duplicated
    expect(bob.locator("li.qa-item")).to_have_count(5)


def test_poll_opened_voted_and_shown(contexts, live_server: str):
    _mc, mod = contexts(viewport={"width": 390, "height": 844}, is_mobile=True)  # a moderator on a phone
    mod.goto(f"{live_server}/login")
    mod.fill("input[name=email]", MODERATOR)
    mod.fill("input[name=password]", PASSWORD)
    mod.locator("form button[type=submit]").last.click()
    mod.wait_for_url(re.compile(r"/manage"))
    href = mod.get_by_role("link", name=ROUND_TABLE, exact=True).first.get_attribute("href")
    event_id = int(re.search(r"/manage/events/(\d+)", href).group(1))
    mod.goto(f"{live_server}/manage/events/{event_id}/qa")
    mod.get_by_role("link", name=re.compile("^Session 2")).click()
    session_id = int(re.search(r"/qa/(\d+)$", mod.url).group(1))
    poll = mod.locator(".qa-poll").first
    expect(poll).to_be_visible()
    _bc, bob = contexts()
    bob.goto(f"{live_server}/qa/{session_id}")
    _pc, screen = contexts(viewport={"width": 1920, "height": 1080})
    screen.goto(f"{live_server}/qa/{session_id}/screen")
    if poll.get_by_role("button", name="Ouvrir").count() or poll.get_by_role("button", name="Open").count():
        poll.locator("button").first.click()
    card = bob.locator("form.qa-poll").first
    expect(card.locator("input").first).to_be_visible()
    card.locator("input").nth(0).check()
    card.locator("input").nth(2).check()
    card.locator("button[type=submit]").click()
    expect(card.locator("input")).to_have_count(0)
    expect(screen.locator("#qa-poll h2")).to_be_visible()
    poll.locator("button", has_text=re.compile("résultats|results", re.I)).click()
    expect(screen.locator("#qa-poll .qa-results li").first).to_contain_text("1")
    expect(mod.locator(".qa-poll .qa-results").first).to_be_visible()
