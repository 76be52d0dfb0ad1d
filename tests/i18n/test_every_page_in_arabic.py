"""Every page a user can reach reads right to left in Arabic: each GET page of the demo data, opened by each demo
account (and anonymously) with Arabic chosen, is an HTML document with `lang="ar"` and `dir="rtl"`, and no page
fails. The browser tests (tests/e2e/test_arabic_browser.py) look at a sample at phone size; this walk holds the
document direction for all of them."""

from __future__ import annotations

import re

import pytest

from eventhub.core.i18n import LANG_SESSION_KEY
from eventhub.demo.data import DEMO_LOGINS
from tests import demo_walk

HTML_TAG = re.compile(r"<html\b[^>]*>", re.I)


@pytest.mark.parametrize("role", [None, *DEMO_LOGINS["accounts"]])
def test_every_page_is_arabic_right_to_left(app, client, ctx, role):
    urls = demo_walk.walk_as(app, client, role)
    with client.session_transaction() as session:
        session[LANG_SESSION_KEY] = "ar"  # the explicit choice: it wins over the account's and the event's language
    pages, wrong, crashed = [], [], []
    for endpoint, url in urls:
        response = client.get(url)
        if response.status_code >= 500:
            crashed.append((url, response.status_code))
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        tag = HTML_TAG.search(response.get_data(as_text=True)[:4000])
        attributes = dict(re.findall(r'(\w+)="([^"]*)"', tag.group(0))) if tag else {}
        pages.append(endpoint)
        if attributes.get("lang") != "ar" or attributes.get("dir") != "rtl":
            wrong.append((url, tag.group(0) if tag else "no <html> tag"))
    assert crashed == []
    assert wrong == []
    # Distinct pages shown (2026-12-07: 19 anonymous, 21–26 per role, 47 as organizer): the walk really walked.
    assert len(set(pages)) >= {None: 15, "organizer": 40, "admin": 40}.get(role, 18), sorted(set(pages))
