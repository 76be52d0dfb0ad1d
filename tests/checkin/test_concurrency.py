"""Exactly once under real concurrency: many tickets, each scanned at the same moment by several scanners.

Runs on whatever database the suite uses; CI runs it on PostgreSQL (EVENTHUB_TEST_DATABASE_URL), where the
transactions really interleave and the partial unique index is what refuses the second admission.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from eventhub.checkin import services as ci
from eventhub.checkin.models import CheckIn, CheckInPoint, Scan
from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.registration import services as reg

SCANNERS = 6
TICKETS = 40


def _setup(make_event, make_user):
    event = make_event(capacity=TICKETS)
    staff = make_user("door@example.org", "Door")
    point = ci.ensure_default_point(event)[0]
    codes = []
    for i in range(TICKETS):
        codes.append(reg.register(event, reg.RegistrationData(
            name=f"P{i}", email=f"p{i}@example.org", country="ML", mode="in_person", consent=True,
        )).registration.ticket.code)
    commit()
    ids = (event.id, staff.id, point.id)
    db.session.remove()
    return ids, codes


def _race(app, ids, codes, nonce_of):
    _event_id, staff_id, point_id = ids
    barrier = threading.Barrier(SCANNERS)
    results: list[tuple[int, str]] = []
    errors: list[str] = []
    lock = threading.Lock()

    def scanner(k: int) -> None:
        from eventhub.auth.models import User

        with app.app_context():
            barrier.wait(timeout=30)
            for i, code in enumerate(codes):
                try:
                    result = ci.check_in(code, by=db.session.get(User, staff_id),
                                         point=db.session.get(CheckInPoint, point_id), nonce=nonce_of(k, i))
                    commit()
                    with lock:
                        results.append((i, result.code))
                except Exception as exc:  # noqa: BLE001 — collected and asserted on below
                    db.session.rollback()
                    errors.append(repr(exc))
            db.session.remove()

    with ThreadPoolExecutor(SCANNERS) as pool:
        list(pool.map(scanner, range(SCANNERS)))
    return results, errors


def test_racing_scanners_admit_each_ticket_once(app, make_event, make_user):
    ids, codes = _setup(make_event, make_user)
    results, errors = _race(app, ids, codes, lambda k, i: f"s{k}-t{i}")
    assert errors == []
    admitted = [i for i, code in results if code == "admitted"]
    assert sorted(admitted) == list(range(TICKETS)), "every ticket admitted exactly once"
    assert {code for _i, code in results} == {"admitted", "already_checked_in"}
    assert db.session.scalar(db.select(db.func.count()).select_from(CheckIn)) == TICKETS
    # Every scan recorded, refused ones too.
    assert db.session.scalar(db.select(db.func.count()).select_from(Scan)) == TICKETS * SCANNERS


def test_racing_retries_of_one_nonce_count_once(app, make_event, make_user):
    ids, codes = _setup(make_event, make_user)
    results, errors = _race(app, ids, codes, lambda k, i: f"same-t{i}")  # every scanner "retries" one request
    assert errors == []
    assert {code for _i, code in results} == {"admitted"}  # the retry is answered like the original
    assert db.session.scalar(db.select(db.func.count()).select_from(Scan)) == TICKETS
    assert db.session.scalar(db.select(db.func.count()).select_from(CheckIn)) == TICKETS
