"""The projector fits the screen at 1920×1080, 1280×720 and 1024×768: nothing outside the viewport, no scrolling,
no type below 24 px; the pinned question with its author, top questions, the poll results and the join QR code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.instance import seed

pytestmark = pytest.mark.browser

MIN_PX = 24
SIZES = [(1920, 1080), (1280, 720), (1024, 768)]


@pytest.fixture(scope="module")
def crowded(live_server: str, live_instance: Path) -> dict:
    return seed(live_instance, "tests.e2e.seed_screen")


MEASURE = """(minPx) => {
  const vw = window.innerWidth, vh = window.innerHeight, out = [], small = [];
  const scroll = document.scrollingElement;
  for (const el of document.querySelectorAll("main *")) {
    if (el.closest("[hidden]")) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.left < -0.5 || r.top < -0.5 || r.right > vw + 0.5 || r.bottom > vh + 0.5)
      out.push(`${el.tagName}.${el.className} ${[r.left, r.top, r.right, r.bottom].map(Math.round)}`);
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (own && parseFloat(getComputedStyle(el).fontSize) < minPx)
      small.push(`${el.tagName}.${el.className} ${getComputedStyle(el).fontSize}`);
  }
  return { out, small, scrollW: scroll.scrollWidth, scrollH: scroll.scrollHeight, vw, vh,
           top: document.querySelectorAll("#qa-top li").length,
           pinned: document.querySelector(".qa-pinned-text")?.textContent.length || 0,
           author: document.querySelector(".qa-pinned-author")?.textContent || "",
           results: document.querySelectorAll("#qa-poll .qa-results li").length,
           qr: document.querySelector(".qa-join-qr svg")?.getBoundingClientRect().width || 0 };
}"""


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_projector_fits_without_scrolling(browser, live_server: str, crowded: dict, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR")
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live_server}/qa/{crowded['session_id']}/screen")
        expect(page.locator("#qa-poll .qa-results li")).to_have_count(4)
        if os.environ.get("SCREEN_SHOTS"):
            page.screenshot(path=f"{os.environ['SCREEN_SHOTS']}/screen-{width}x{height}.png")
        expect(page.locator("#qa-top li").first).to_be_visible()
        expect(page.locator(".qa-pinned-author")).to_have_text(crowded["pinned_author"])
        m = page.evaluate(MEASURE, MIN_PX)
    finally:
        context.close()
    assert not errors, errors
    assert m["scrollW"] <= width and m["scrollH"] <= height, m
    assert m["out"] == [], f"outside the {width}×{height} viewport: {m['out']}"
    assert m["small"] == [], f"type below {MIN_PX}px: {m['small']}"
    assert m["pinned"] > 100 and m["author"] == crowded["pinned_author"]
    assert m["results"] == 4 and m["qr"] >= 200
    assert m["top"] >= 2, m  # a 500-character pinned question and a 4-option poll still leave room
