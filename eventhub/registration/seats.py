"""Seats and the waiting list: the event row's counters, and the one locked statement that hands out either.

Seats are counted on the event row and claimed with a conditional UPDATE (`confirmed < capacity`); a CHECK
constraint refuses an overbooking even if this code were wrong. A registration that finds no seat joins the line in
the same statement: `take_seat_or_place` locks the event row once (SELECT … FOR NO KEY UPDATE inside the UPDATE, so
PostgreSQL reads the newest row after waiting) and returns the seat, or the place in line (`waitlist_last`) and the
position (`waitlisted_*`, the live count, so every person ahead is counted). Positions told are therefore distinct
and correct under concurrency, and the lock is held for that one statement plus the commit's few writes: the
caller does every read and every costly rendering before it. SQLite serialises writers, so plain statements do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, or_, select, update

from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.registration.models import AttendanceMode, Registration, RegistrationStatus


@dataclass(frozen=True)
class Place:
    seat: bool  # a seat was claimed
    seq: int | None = None  # else: the place in line (Registration.waitlist_seq)
    position: int | None = None  # and how many wait, this person included


def _seat_columns(mode: AttendanceMode):  # noqa: ANN202
    if mode == AttendanceMode.IN_PERSON:
        return Event.confirmed_in_person, Event.capacity, Event.waitlisted_in_person
    return Event.confirmed_remote, Event.remote_capacity, Event.waitlisted_remote


def _free(mode: AttendanceMode) -> ColumnElement[bool]:
    counter, cap, _waiting = _seat_columns(mode)
    return counter < cap if mode == AttendanceMode.IN_PERSON else or_(cap.is_(None), counter < cap)


def _expire(event: Event) -> None:
    db.session.expire(event, ["confirmed_in_person", "confirmed_remote", "waitlisted_in_person",
                              "waitlisted_remote", "waitlist_last"])


def claim_seat(event: Event, mode: AttendanceMode) -> bool:
    counter, _cap, _waiting = _seat_columns(mode)
    result = db.session.execute(
        update(Event).where(Event.id == event.id, _free(mode)).values({counter: counter + 1})
        .execution_options(synchronize_session=False)
    )
    _expire(event)
    return result.rowcount == 1  # type: ignore[attr-defined]  # an UPDATE's CursorResult


def release_seat(event: Event, mode: AttendanceMode) -> None:
    counter, _cap, _waiting = _seat_columns(mode)
    db.session.execute(
        update(Event).where(Event.id == event.id, counter > 0).values({counter: counter - 1})
        .execution_options(synchronize_session=False)
    )
    _expire(event)


def take_seat_or_place(event: Event, mode: AttendanceMode) -> Place:
    """A seat if one is free, else the next place in line; one statement on PostgreSQL (see the module doc)."""
    counter, _cap, waiting = _seat_columns(mode)
    if db.session.get_bind().dialect.name != "postgresql":
        if claim_seat(event, mode):
            return Place(True)
        row = db.session.execute(
            update(Event).where(Event.id == event.id)
            .values({waiting: waiting + 1, Event.waitlist_last: Event.waitlist_last + 1})
            .returning(Event.waitlist_last, waiting).execution_options(synchronize_session=False)
        ).one()
        _expire(event)
        return Place(False, row[0], row[1])
    # FOR NO KEY UPDATE, the lock an UPDATE takes: FOR UPDATE would also wait for the KEY SHARE locks that every
    # concurrent registration's INSERT (a foreign key to this row) holds until its commit, and deadlock with them.
    locked = (select(Event.id, _free(mode).label("free")).where(Event.id == event.id)
              .with_for_update(key_share=True).cte("locked"))
    row = db.session.execute(
        update(Event).where(Event.id == locked.c.id).values({
            counter: counter + case((locked.c.free, 1), else_=0),
            waiting: waiting + case((locked.c.free, 0), else_=1),
            Event.waitlist_last: Event.waitlist_last + case((locked.c.free, 0), else_=1),
        }).returning(locked.c.free, Event.waitlist_last, waiting).execution_options(synchronize_session=False)
    ).one()
    _expire(event)
    return Place(True) if row[0] else Place(False, row[1], row[2])


def leave_waitlist(event: Event, mode: AttendanceMode) -> None:
    """Someone left the line (promoted or cancelled): one fewer ahead of whoever joins next."""
    _counter, _cap, waiting = _seat_columns(mode)
    db.session.execute(
        update(Event).where(Event.id == event.id, waiting > 0).values({waiting: waiting - 1})
        .execution_options(synchronize_session=False)
    )
    _expire(event)


def line_order() -> tuple[Any, ...]:
    """The waiting list's order: place in line (rows from before places existed have their id), then id."""
    return db.func.coalesce(Registration.waitlist_seq, Registration.id), Registration.id


def waitlist_position(registration: Registration) -> int | None:
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    seq = registration.waitlist_seq if registration.waitlist_seq is not None else registration.id
    ahead = db.session.scalar(
        db.select(db.func.count()).select_from(Registration).where(
            Registration.event_id == registration.event_id, Registration.mode == registration.mode,
            Registration.status == RegistrationStatus.WAITLISTED,
            db.func.coalesce(Registration.waitlist_seq, Registration.id) < seq,
        )
    )
    return int(ahead or 0) + 1


def waitlist_positions(event: Event) -> dict[int, int]:
    """Every waitlisted registration's position, in one query (for lists; see waitlist_position for one)."""
    rows = db.session.execute(
        db.select(Registration.id, Registration.mode)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(*line_order())
    ).all()
    seen: dict[AttendanceMode, int] = {}
    positions: dict[int, int] = {}
    for registration_id, mode in rows:
        seen[mode] = seen.get(mode, 0) + 1
        positions[registration_id] = seen[mode]
    return positions


def waiting_count(event: Event, mode: AttendanceMode) -> int:
    """How many people wait for a seat of `mode` (what a cancelled seat goes to)."""
    return int(db.session.scalar(db.select(db.func.count()).select_from(Registration).where(
        Registration.event_id == event.id, Registration.mode == mode,
        Registration.status == RegistrationStatus.WAITLISTED)) or 0)
