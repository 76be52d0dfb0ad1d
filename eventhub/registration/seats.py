"""Seats and the waiting list: the event row's counters, and the one locked statement that hands out either.

Seats are counted on the event row and claimed with a conditional UPDATE (`confirmed < capacity`); a CHECK
constraint refuses an overbooking even if this code were wrong. A registration that finds no seat joins the line in
the same statement: `take_seat_or_place` locks the event row once (SELECT … FOR NO KEY UPDATE inside the UPDATE, so
PostgreSQL reads the newest row after waiting) and returns the seat, or the place in line (`waitlist_last`) and the
position (`waitlisted_*`, the live count, so every person ahead is counted). Positions told are therefore distinct
and correct under concurrency.

`settle` is the registration's whole locked part: the same statement also sets the registration's status and writes
the position into its mail, both already flushed by the caller, so the lock is held for that one statement and the
COMMIT right after it. (When the lock was followed by the ORM flush of the registration, its ticket and its mail —
three more round trips — each round trip let the process's other registrations run their CPU-heavy part first, and
the lock holder came back tens of milliseconds later: every registration of the burst queued behind that.)
SQLite serialises writers, so plain statements do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, Table, case, func, literal, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm.attributes import set_committed_value

from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.mail.models import MailMessage
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
    _counter, _cap, waiting = _seat_columns(mode)
    if not _postgres():
        if claim_seat(event, mode):
            return Place(True)
        row = db.session.execute(
            update(Event).where(Event.id == event.id)
            .values({waiting: waiting + 1, Event.waitlist_last: Event.waitlist_last + 1})
            .returning(Event.waitlist_last, waiting).execution_options(synchronize_session=False)
        ).one()
        _expire(event)
        return Place(False, row[0], row[1])
    claim = _claim(event, mode)
    row = db.session.execute(select(claim.c.free, claim.c.seq, claim.c.position)).one()
    _expire(event)
    return Place(True) if row[0] else Place(False, row[1], row[2])


def settle(event: Event, registration: Registration, mail: MailMessage, mark: str, now: datetime) -> Place:
    """Seat or place in line for a flushed registration, its status set and `mark` in its flushed mail replaced
    by the position told (0 with a seat): on PostgreSQL one statement, the lock's only one before the COMMIT."""
    if not _postgres():
        place = take_seat_or_place(event, registration.mode)
        _set_outcome(registration, mail, mark, place, now, committed=False)
        return place
    claim = _claim(event, registration.mode)
    regs, mails = _table(Registration), _table(MailMessage)
    told = sql_cast(case((claim.c.free, 0), else_=claim.c.position), String)
    status = case((claim.c.free, literal(RegistrationStatus.CONFIRMED.value)),
                  else_=literal(RegistrationStatus.WAITLISTED.value))
    row = db.session.execute(
        select(claim.c.free, claim.c.seq, claim.c.position)
        .add_cte(update(regs).where(regs.c.id == registration.id).values(
            status=status, confirmed_at=case((claim.c.free, now), else_=None),
            waitlist_seq=case((claim.c.free, None), else_=claim.c.seq))
            .where(regs.c.event_id == claim.c.event_id).returning(regs.c.id).cte("settled"))
        .add_cte(update(mails).where(mails.c.id == mail.id, mails.c.event_id == claim.c.event_id).values(
            body_text=func.replace(mails.c.body_text, mark, told),
            body_html=func.replace(mails.c.body_html, mark, told)).returning(mails.c.id).cte("told"))
    ).one()
    _expire(event)
    place = Place(True) if row[0] else Place(False, row[1], row[2])
    _set_outcome(registration, mail, mark, place, now, committed=True)
    return place


def _claim(event: Event, mode: AttendanceMode):  # noqa: ANN202  (a CTE: free, seq, position)
    counter, _cap, waiting = _seat_columns(mode)
    # FOR NO KEY UPDATE, the lock an UPDATE takes: FOR UPDATE would also wait for the KEY SHARE locks that every
    # concurrent registration's INSERT (a foreign key to this row) holds until its commit, and deadlock with them.
    locked = (select(Event.id, _free(mode).label("free")).where(Event.id == event.id)
              .with_for_update(key_share=True).cte("locked"))
    return (update(Event).where(Event.id == locked.c.id).values({
        counter: counter + case((locked.c.free, 1), else_=0),
        waiting: waiting + case((locked.c.free, 0), else_=1),
        Event.waitlist_last: Event.waitlist_last + case((locked.c.free, 0), else_=1),
        # Kept: a seat is not an edit of the event, and inside a CTE the column's Python onupdate would be NULL.
        Event.updated_at: Event.updated_at,
    }).returning(locked.c.free.label("free"), Event.waitlist_last.label("seq"), waiting.label("position"),
                 Event.id.label("event_id"))
        .cte("claim"))


def _set_outcome(registration: Registration, mail: MailMessage, mark: str, place: Place, now: datetime, *,
                 committed: bool) -> None:
    """The same outcome on the loaded objects: as what the database already holds (`committed`, no second
    UPDATE at the flush), or as changes to flush (SQLite)."""
    told = str(place.position or 0)
    values = {"status": RegistrationStatus.CONFIRMED if place.seat else RegistrationStatus.WAITLISTED,
              "confirmed_at": now if place.seat else None, "waitlist_seq": None if place.seat else place.seq}
    texts = {"body_text": mail.body_text.replace(mark, told),
             "body_html": mail.body_html.replace(mark, told) if mail.body_html is not None else None}
    for obj, changes in ((registration, values), (mail, texts)):
        for name, value in changes.items():
            if committed:
                set_committed_value(obj, name, value)
            else:
                setattr(obj, name, value)


def _table(model: type) -> Table:
    return model.__table__  # type: ignore[attr-defined, no-any-return]


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


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
