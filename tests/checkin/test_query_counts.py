"""The check-in dashboard, its CSV and the log do not query per row; a scan of an in-person ticket does not read the
settings."""

from __future__ import annotations

import pytest

from eventhub.checkin import queries
from eventhub.checkin import services as ci
from eventhub.core.db import commit
from eventhub.extensions import db
from tests.checkin.helpers import person
from tests.helpers import QueryCounter

# The route tests' world (tests/checkin/conftest.py), and no open test transaction while a request runs (SQLite
# write lock).
pytestmark = pytest.mark.usefixtures("end_test_transaction_before_requests")


_busy = iter(range(1, 100_000))


def _busy_event(w, n: int = 6) -> None:
    """n people, each scanned twice (admitted, then already checked in) by two different staff."""
    for _ in range(n):
        i = next(_busy)
        r = person(w.event, name=f"Personne {i}")
        ci.check_in(r.ticket.code, by=w.door_staff, point=w.point, nonce=f"n{i}")
        ci.check_in(r.ticket.code, by=w.organizer, point=w.point, nonce=f"m{i}")
    commit()


def test_log_and_live_checkins_do_not_query_per_row(app, world):
    w = world
    _busy_event(w, 3)
    db.session.expire_all()
    with QueryCounter() as few:
        rows = [queries.scan_out(s) for s in queries.log(w.event, limit=None)]
        checkins = [(c.registration.name, c.point.name, c.by.name) for c in queries.live_checkins(w.event)]
    _busy_event(w, 6)
    db.session.expire_all()
    with QueryCounter() as many:
        more = [queries.scan_out(s) for s in queries.log(w.event, limit=None)]
        more_checkins = [(c.registration.name, c.point.name, c.by.name) for c in queries.live_checkins(w.event)]
    assert len(rows) == 6 and len(more) == 18 and len(checkins) == 3 and len(more_checkins) == 9
    assert many.n == few.n, (few.n, many.n)


def test_dashboard_and_csv_do_not_query_per_row(client, world, login):
    w = world
    login(w.organizer)
    assert client.get(f"/manage/events/{w.event.id}/checkin").status_code == 200  # creates the settings row
    _busy_event(w, 2)
    db.session.commit()
    with QueryCounter() as few:
        assert client.get(f"/manage/events/{w.event.id}/checkin").status_code == 200
        assert client.get(f"/manage/events/{w.event.id}/checkin/log.csv").status_code == 200
    _busy_event(w, 8)
    db.session.commit()
    with QueryCounter() as many:
        page = client.get(f"/manage/events/{w.event.id}/checkin")
        export = client.get(f"/manage/events/{w.event.id}/checkin/log.csv")
    assert page.status_code == 200 and f"Personne {next(_busy) - 1}" in page.get_data(as_text=True)
    assert export.get_data(as_text=True).count("\n") == 1 + 20
    assert many.n == few.n, (few.n, many.n)


def test_scan_of_an_in_person_ticket_does_not_read_the_settings(world):
    w = world
    r = person(w.event)
    with QueryCounter() as counter:
        result = ci.check_in(r.ticket.code, by=w.door_staff, point=w.point)
    assert result.code == "admitted"
    assert not any("checkin_settings" in s for s in counter.statements), counter.statements
