"""Check-in scans: a nonce is bound to its ticket (item 13); offline device times are clamped into a sane window
and flagged (item 19)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from eventhub.checkin import services as ci
from eventhub.checkin.models import Scan
from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.registration import services as reg

NOW = datetime(2027, 3, 14, 9, 30, tzinfo=UTC)
STARTS = datetime(2027, 3, 14, 8, 0, tzinfo=UTC)


@pytest.fixture
def world(ctx, make_event, make_user):
    with time_machine.travel(NOW, tick=False):
        staff = make_user("accueil@cicb.ml", "Accueil CICB")
        event = make_event(starts_at=STARTS, ends_at=STARTS + timedelta(hours=10), capacity=10)
        door = ci.ensure_default_point(event)[0]
        people = [reg.register(event, reg.RegistrationData(name=name, email=f"p{k}@example.org", country="ML",
                                                           mode="in_person", consent=True)).registration
                  for k, name in enumerate(("Aminata Traoré", "Karim Benali"))]
        commit()
        yield event, door, staff, people


def test_a_nonce_replayed_with_another_ticket_is_refused_not_answered_with_the_first_name(world) -> None:
    _event, door, staff, (aminata, karim) = world
    first = ci.check_in(aminata.ticket.code, by=staff, point=door, nonce="n-1")
    commit()
    assert first.code == "admitted"
    with pytest.raises(ci.Conflict) as excinfo:
        ci.check_in(karim.ticket.code, by=staff, point=door, nonce="n-1")
    assert excinfo.value.code == "nonce_reused"
    db.session.rollback()
    again = ci.check_in(aminata.ticket.code, by=staff, point=door, nonce="n-1")  # a true retry: the first answer
    assert again.replayed and again.to_dict()["attendee"]["name"] == "Aminata Traoré"
    commit()


def test_offline_sync_reports_a_reused_nonce_per_scan(world) -> None:
    event, door, staff, (aminata, karim) = world
    results = ci.sync_offline(event, [
        ci.OfflineScan(code=aminata.ticket.code, nonce="o-1", at=NOW - timedelta(minutes=5), point_id=door.id),
        ci.OfflineScan(code=karim.ticket.code, nonce="o-1", at=NOW - timedelta(minutes=4), point_id=door.id),
    ], by=staff)
    commit()
    assert results[0]["ok"] is True and results[0]["result"] == "admitted"
    assert results[1]["ok"] is False and results[1]["error"]["code"] == "nonce_reused"


def _scan_of(nonce: str) -> Scan:
    db.session.expire_all()
    return db.session.scalar(db.select(Scan).where(Scan.nonce == nonce))


def test_offline_scans_years_in_the_past_are_clamped_and_flagged(world) -> None:
    event, door, staff, (aminata, karim) = world
    with time_machine.travel(NOW, tick=False):
        results = ci.sync_offline(event, [
            ci.OfflineScan(code=aminata.ticket.code, nonce="old", at=datetime(2019, 1, 1, tzinfo=UTC),
                           point_id=door.id),
            ci.OfflineScan(code=karim.ticket.code, nonce="fine", at=NOW - timedelta(minutes=20), point_id=door.id),
        ], by=staff)
        commit()
    opening = STARTS - timedelta(hours=24)
    old, fine = _scan_of("old"), _scan_of("fine")
    assert (old.scanned_at, old.time_clamped) == (opening, True)
    assert old.checkin.admitted_at == opening
    assert results[0]["time_clamped"] is True and results[1]["time_clamped"] is False
    assert (fine.scanned_at, fine.time_clamped) == (NOW - timedelta(minutes=20), False)


def test_future_device_times_are_clamped_to_now_and_flagged(world) -> None:
    event, door, staff, (aminata, _karim) = world
    with time_machine.travel(NOW, tick=False):
        ci.sync_offline(event, [ci.OfflineScan(code=aminata.ticket.code, nonce="future",
                                               at=NOW + timedelta(days=400), point_id=door.id)], by=staff)
        commit()
    scan = _scan_of("future")
    assert (scan.scanned_at, scan.time_clamped) == (NOW, True)


def test_the_window_has_a_maximum_age_when_the_event_is_long(world) -> None:
    event, door, staff, (aminata, _karim) = world
    later = NOW + timedelta(days=30)  # a month-long exhibition: the doors opened 31 days ago
    with time_machine.travel(later, tick=False):
        ci.sync_offline(event, [ci.OfflineScan(code=aminata.ticket.code, nonce="month", at=NOW,
                                               point_id=door.id)], by=staff, max_age=timedelta(days=7))
        commit()
    scan = _scan_of("month")
    assert (scan.scanned_at, scan.time_clamped) == (later - timedelta(days=7), True)
