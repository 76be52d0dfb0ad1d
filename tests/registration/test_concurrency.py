"""Capacity under real concurrency: many connections registering at once for few seats.

Runs on whatever database the suite uses; CI runs it on PostgreSQL (EVENTHUB_TEST_DATABASE_URL), where
transactions really interleave. On SQLite the same test proves writers serialise without errors.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.registration import services
from eventhub.registration.models import Registration, RegistrationStatus

WORKERS = 24
PEOPLE = 120
CAPACITY = 7


def _register_all(app, event_id: int, emails: list[str], told: dict[str, int | None] | None = None) -> list[str]:
    """Registers `emails` from WORKERS threads at once; `told` collects each waitlist position answered."""
    barrier = threading.Barrier(WORKERS)
    errors: list[str] = []

    def work(chunk: list[str]) -> None:
        with app.app_context():
            from eventhub.events.models import Event

            barrier.wait(timeout=30)
            for email in chunk:
                event = db.session.get(Event, event_id)
                try:
                    result = services.register(event, services.RegistrationData(
                        name=email, email=email, country="ML", mode="in_person", consent=True))
                    commit()
                    if told is not None:
                        told[email] = result.waitlist_position
                except Exception as exc:  # noqa: BLE001 — collected and asserted on below
                    db.session.rollback()
                    errors.append(f"{email}: {getattr(exc, 'code', '')} {exc!r}")
            db.session.remove()

    chunks = [emails[i::WORKERS] for i in range(WORKERS)]
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(work, chunks))
    return errors


def test_concurrent_registrations_never_overbook(app, make_event):
    event = make_event(capacity=CAPACITY)
    event_id = event.id
    db.session.remove()
    errors = _register_all(app, event_id, [f"p{i}@example.org" for i in range(PEOPLE)])
    assert errors == []
    rows = db.session.scalars(
        db.select(Registration).where(Registration.event_id == event_id).order_by(Registration.id)).all()
    confirmed = [r for r in rows if r.status == RegistrationStatus.CONFIRMED]
    waitlisted = [r for r in rows if r.status == RegistrationStatus.WAITLISTED]
    assert len(rows) == PEOPLE
    assert len(confirmed) == CAPACITY
    assert len(waitlisted) == PEOPLE - CAPACITY
    # Arrival order is the order in which people reached the seat claim (the seats went to the first ones): the
    # places in line follow it with no gaps or duplicates, and so do the positions.
    in_line = sorted(waitlisted, key=lambda r: r.waitlist_seq)
    assert len({r.waitlist_seq for r in waitlisted}) == len(waitlisted)
    assert [services.waitlist_position(r) for r in in_line] == list(range(1, PEOPLE - CAPACITY + 1))
    from eventhub.events.models import Event

    assert db.session.get(Event, event_id).confirmed_in_person == CAPACITY
    # Every registration got exactly one ticket in force.
    assert all(r.ticket is not None for r in rows)


def test_concurrent_duplicate_emails_register_once(app, make_event):
    event = make_event(capacity=50)
    event_id = event.id
    db.session.remove()
    errors = _register_all(app, event_id, ["same@example.org"] * WORKERS)
    assert len(errors) == WORKERS - 1
    assert all(" already_registered " in e for e in errors), errors[:3]
    assert db.session.scalar(db.select(db.func.count()).select_from(Registration)) == 1


def test_concurrent_cancellations_promote_each_waiting_person_once(app, make_event):
    event = make_event(capacity=10)
    regs = []
    for i in range(30):
        regs.append(services.register(event, services.RegistrationData(
            name=f"p{i}", email=f"p{i}@example.org", country="ML", mode="in_person", consent=True)).registration)
        commit()
    all_ids = [r.id for r in regs]
    ids = all_ids[:10]
    event_id = event.id
    db.session.remove()
    barrier = threading.Barrier(10)

    def cancel(reg_id: int) -> None:
        with app.app_context():
            barrier.wait(timeout=30)
            services.cancel_registration(db.session.get(Registration, reg_id))
            commit()
            db.session.remove()

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(cancel, ids))
    statuses = [db.session.get(Registration, i).status for i in all_ids]
    assert statuses[:10] == [RegistrationStatus.CANCELLED] * 10
    assert statuses[10:20] == [RegistrationStatus.CONFIRMED] * 10
    assert statuses[20:] == [RegistrationStatus.WAITLISTED] * 10
    from eventhub.events.models import Event

    assert db.session.get(Event, event_id).confirmed_in_person == 10


def test_concurrent_registrations_are_told_distinct_correct_waitlist_positions(app, make_event):
    """What each waitlisted person is told (the API's 201 answer) is where the list puts them once everyone has
    committed: distinct, 1..N, the same as the one-query list, and promotions follow it."""
    event = make_event(capacity=CAPACITY)
    event_id = event.id
    db.session.remove()
    told: dict[str, int | None] = {}
    errors = _register_all(app, event_id, [f"w{i}@example.org" for i in range(PEOPLE)], told)
    assert errors == []
    from eventhub.events.models import Event

    event = db.session.get(Event, event_id)
    rows = db.session.scalars(db.select(Registration).where(Registration.event_id == event_id)).all()
    by_email = {r.email: r for r in rows}
    confirmed = [e for e, r in by_email.items() if r.status == RegistrationStatus.CONFIRMED]
    assert len(confirmed) == CAPACITY and all(told[e] is None for e in confirmed)
    waiting = {e: p for e, p in told.items() if by_email[e].status == RegistrationStatus.WAITLISTED}
    assert sorted(waiting.values()) == list(range(1, PEOPLE - CAPACITY + 1))
    listed = services.waitlist_positions(event)
    assert {e: listed[by_email[e].id] for e in waiting} == waiting
    assert {e: services.waitlist_position(by_email[e]) for e in waiting} == waiting
    assert event.waitlisted_in_person == PEOPLE - CAPACITY
    # Each mail says what its 201 said: the position was written into it by the seat claim's own statement.
    from eventhub.mail.models import MailMessage
    from eventhub.registration.mail import POSITION_MARK

    mails = {m.recipient: m for m in db.session.scalars(db.select(MailMessage))}
    assert len(mails) == PEOPLE
    assert all(str(POSITION_MARK) not in m.body_text + (m.body_html or "") for m in mails.values())
    for email, position in waiting.items():
        assert mails[email].kind == "waitlisted" and f"position {position}." in mails[email].body_text
    assert all(mails[e].kind == "confirmation" for e in confirmed)
    # The seat a cancellation frees goes to whoever was told position 1; the next newcomer is told the end of line.
    first = next(e for e, p in waiting.items() if p == 1)
    services.cancel_registration(by_email[confirmed[0]])
    commit()
    assert db.session.get(Registration, by_email[first].id).status == RegistrationStatus.CONFIRMED
    late = services.register(db.session.get(Event, event_id), services.RegistrationData(
        name="late", email="late@example.org", country="ML", mode="in_person", consent=True))
    commit()
    assert late.waitlist_position == PEOPLE - CAPACITY
