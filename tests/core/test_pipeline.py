"""The request pipeline (eventhub/core/pipeline.py): one commit per write request, none on a refusal, GETs never
write; and the one error envelope, JSON chosen by the request (eventhub/core/errors_web.py)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text

from eventhub.auth.models import User
from eventhub.core import pipeline
from eventhub.demo.data import DEMO_LOGINS
from eventhub.events.models import Event
from eventhub.extensions import db
from tests import demo_walk


def test_a_refused_form_post_commits_nothing_and_a_good_one_commits(client, login, make_user):
    organizer = make_user(is_admin=True)
    login(organizer)
    before = db.session.scalar(db.select(db.func.count()).select_from(Event))
    bad = client.post("/manage/events/new", data={"title": "", "timezone": "Africa/Bamako"})
    assert bad.status_code == 422
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Event)) == before


def test_a_get_that_writes_raises_under_test_config(app):
    assert app.config["SAFE_METHOD_WRITES"] == "raise"
    with app.test_request_context("/", method="GET"):
        pipeline._begin()
        db.session.add(User(email="get-writes@example.org", name="Nobody", password_hash="x"))
        with pytest.raises(pipeline.ReadOnlyRequest):
            db.session.flush()
        db.session.rollback()


def test_a_get_that_writes_is_rolled_back_in_production_mode(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "SAFE_METHOD_WRITES", "rollback")
    with app.test_request_context("/", method="GET"):
        pipeline._begin()
        db.session.add(User(email="get-writes@example.org", name="Nobody", password_hash="x"))
        db.session.flush()
        unit = pipeline.current_unit()
        assert unit is not None and unit.wrote
        pipeline._finish(app.response_class("ok"))
    assert db.session.scalar(db.select(User).where(User.email == "get-writes@example.org")) is None


# --- the error envelope ---------------------------------------------------------------------------------------

def test_unknown_id_on_a_json_route_is_a_json_404(client, login, make_event, make_user):
    organizer = make_user()
    event = make_event(organizer=organizer)
    login(organizer)
    scan = client.post(f"/checkin/events/{event.id}/scan", json={"code": "x", "point_id": 2_000_000_000})
    assert scan.status_code == 404
    assert scan.get_json()["error"]["code"] == "point_not_found"
    api = client.get("/api/v1/events/2000000000", headers={"Accept": "application/json"})
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "event_not_found"  # a public read
    unknown = client.get("/api/v1/nothing-here")
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "not_found"


def test_expired_login_on_a_json_call_is_401_json_and_a_page_is_a_redirect(client, make_event):
    event = make_event()
    call = client.post(f"/checkin/events/{event.id}/scan", json={"code": "x", "point_id": 1})
    assert call.status_code == 401
    assert call.get_json() == {"error": {"code": "unauthorized", "message": call.get_json()["error"]["message"]}}
    accept = client.get(f"/checkin/events/{event.id}/search?q=a", headers={"Accept": "application/json"})
    assert accept.status_code == 401 and accept.get_json()["error"]["code"] == "unauthorized"
    page = client.get(f"/checkin/events/{event.id}/scan")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_a_page_404_is_html_and_asking_for_json_makes_it_json(client):
    page = client.get("/e/no-such-event")
    assert page.status_code == 404 and page.mimetype == "text/html"
    asked = client.get("/e/no-such-event", headers={"Accept": "application/json"})
    assert asked.status_code == 404 and asked.get_json()["error"]["code"] in ("not_found", "event_not_found")


# --- no GET writes: every GET route of the demo data, as each role ------------------------------------------

# Public pages that read the rows every session has from its creation (Q&A settings, stage): once created on GET.
SESSION_PAGES = {"qa.attendee", "qa.attendee_ticket", "qa.join_qr", "qa.screen", "stage.screen", "stage.room_feed",
                 "stage.attendee"}


def _fingerprint() -> dict[str, str]:
    """A hash of every row of every table (the demo data is small)."""
    out = {}
    with db.engine.connect() as conn:
        for table in sorted(sa_inspect(conn).get_table_names()):
            if table == "alembic_version":
                continue
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()  # noqa: S608 (names from the schema)
            cells = sorted(repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)) for row in rows)
            out[table] = hashlib.sha256(repr(cells).encode()).hexdigest()
    return out


@pytest.mark.parametrize("role", [None, *DEMO_LOGINS["accounts"]])
def test_no_get_route_changes_a_row(app, client, ctx, role):
    urls = demo_walk.walk_as(app, client, role)
    assert len(urls) > 40
    before = _fingerprint()
    crashed, shown = [], set()
    for endpoint, url in urls:
        response = client.get(url)
        if response.status_code >= 500:
            crashed.append((url, response.status_code))
        elif response.status_code == 200:
            shown.add(endpoint)
    assert crashed == []
    assert SESSION_PAGES - shown == set()  # the Q&A and stage pages were read, not only refused
    if role in ("organizer", "moderator"):
        assert {"qa.console", "stage.console"} - shown == set()
    db.session.remove()
    changed = {t for t, h in _fingerprint().items() if before.get(t) != h}
    if changed:  # find who: each GET again, with a fingerprint after each (slow, only on failure)
        culprits = []
        for _endpoint, url in urls:
            mark = _fingerprint()
            client.get(url)
            db.session.remove()
            culprits += [(url, t) for t, h in _fingerprint().items() if mark.get(t) != h]
        assert culprits == [], changed
