"""Door check-in: one service for the scanner page, the JSON API, the socket and the offline sync.

Exactly once: a partial unique index allows one live CheckIn per (registration, point). Two scanners racing on
one ticket both send `INSERT … ON CONFLICT DO NOTHING`; PostgreSQL makes the second wait for the first to commit
and then inserts nothing, so it answers `already_checked_in` with the first check-in's time, point and scanner (a
remote ticket's upgrade, which also claims a seat, keeps a SAVEPOINT). A client `nonce` is unique per event in the
scan log, so a retried request is answered from the log, not scanned again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from eventhub.auth.models import User
from eventhub.checkin.models import CheckIn, CheckInPoint, PointKind, Scan
from eventhub.checkin.points import (  # re-exported: services stays the area's one entry point
    MAX_ID as MAX_ID,
)
from eventhub.checkin.points import add_point as add_point
from eventhub.checkin.points import archive_point as archive_point
from eventhub.checkin.points import ensure_default_point as ensure_default_point
from eventhub.checkin.points import event_and_point as event_and_point
from eventhub.checkin.points import get_point as get_point
from eventhub.checkin.points import points_for as points_for
from eventhub.checkin.points import remote_upgrade_allowed as remote_upgrade_allowed
from eventhub.checkin.points import set_remote_upgrade as set_remote_upgrade
from eventhub.checkin.points import settings_for as settings_for
from eventhub.checkin.points import valid_id as valid_id
from eventhub.checkin.results import (
    ADMITTED,
    ADMITTED_UPGRADE,
    ALREADY,
    DEVICE_REFUSED,
    FORGED,
    GREEN,
    NOT_ENTERED,
    REMOTE_ONLY,
    REVOKED,
    UNREADABLE,
    WAITLISTED,
    WRONG_EVENT,
    CheckInResult,
)
from eventhub.checkin.results import result_message as result_message  # re-exported for callers of services
from eventhub.core.errors import Conflict, NotFound, ValidationFailed, strip_control
from eventhub.core.types import utcnow
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.registration import services as reg_services
from eventhub.registration.models import AttendanceMode, Registration, RegistrationStatus, Ticket
from eventhub.signals import checkins_changed
from eventhub.tickets import codes

MAX_NONCE = 64
MAX_DEVICE = 64


# --- the check-in ---------------------------------------------------------------------------------------------

def _code_fingerprint(code: str) -> tuple[str, str]:
    """A short printable prefix and a hash: enough to find a scan again, never the whole (maybe huge) input."""
    raw = code if isinstance(code, str) else ""
    prefix = "".join(ch if " " < ch < "\x7f" else "?" for ch in codes.normalise(raw[:64]))[:16]
    return prefix, hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def _clean_nonce(nonce: object) -> str | None:
    if nonce is None or nonce == "":
        return None
    if not isinstance(nonce, str) or len(nonce) > MAX_NONCE or not nonce.isprintable():
        raise ValidationFailed("invalid_nonce", _l("The scan id is invalid."),
                               fields={"nonce": [str(_l("At most %(n)d characters.", n=MAX_NONCE))]})
    return nonce


def _replay(event: Event, nonce: str, digest: str) -> CheckInResult | None:
    """The answer already given to this nonce; a nonce is bound to the code it was first sent with, so the same
    nonce with another code is refused (it answered the first ticket's result, another person's name)."""
    scan = db.session.scalar(db.select(Scan).where(Scan.event_id == event.id, Scan.nonce == nonce))
    if scan is None:
        return None
    if scan.code_hash != digest:
        raise Conflict("nonce_reused", _l("This scan id was already used for another ticket: scan again."))
    checkin = scan.checkin
    if scan.result == ALREADY and scan.registration_id is not None:
        checkin = checkin or _live_checkin(scan.registration_id, scan.point_id)
    return CheckInResult(scan.result, scan.id, scan.detail, scan.registration, checkin, replayed=True,
                         double_entry=scan.double_entry, time_clamped=scan.time_clamped)


def _live_checkin(registration_id: int, point_id: int) -> CheckIn | None:
    return db.session.scalar(db.select(CheckIn).where(
        CheckIn.registration_id == registration_id, CheckIn.point_id == point_id, CheckIn.undone_at.is_(None)))


def _entered(registration: Registration) -> bool:
    return db.session.scalar(
        db.select(CheckIn.id).join(CheckInPoint, CheckIn.point_id == CheckInPoint.id).where(
            CheckIn.registration_id == registration.id, CheckIn.undone_at.is_(None),
            CheckInPoint.kind == PointKind.ENTRANCE).limit(1)
    ) is not None


class _Refused(Exception):
    def __init__(self, code: str, detail: str = ""):
        self.code, self.detail = code, detail


def _judge(point: CheckInPoint, code: str) -> tuple[Ticket | None, str, str]:
    """(ticket, result, detail) before any write: every refusal that does not depend on a race."""
    if not isinstance(code, str) or not code.strip():
        return None, UNREADABLE, "empty"
    try:
        ticket = reg_services.find_ticket(code)
    except reg_services.TicketLookupError as exc:
        if exc.code == "unknown":
            return None, FORGED, "not_issued"
        return None, (FORGED if exc.code == "forged" else UNREADABLE), ""
    registration = ticket.registration
    if ticket.event_id != point.event_id:
        return ticket, WRONG_EVENT, ""
    if registration.status == RegistrationStatus.CANCELLED:
        return ticket, REVOKED, "cancelled"
    if ticket.revoked_at is not None:
        return ticket, REVOKED, "reissued" if ticket.revoked_reason == "reissued" else "revoked"
    if registration.status == RegistrationStatus.WAITLISTED:
        return ticket, WAITLISTED, ""
    if point.kind == PointKind.SESSION and point.requires_entry and not _entered(registration):
        return ticket, NOT_ENTERED, ""
    return ticket, ADMITTED, ""


def check_in(code: str, *, by: User | None, point: CheckInPoint, nonce: str | None = None,
             at: datetime | None = None, device_id: str = "", offline: bool = False,
             device_result: str | None = None, time_clamped: bool = False) -> CheckInResult:
    """Scan `code` at `point`. Records the scan whatever the result; flushes, the caller commits.

    `at` is when the scan happened (device time for offline scans); the log also keeps when it arrived.
    `device_result`: for offline scans, what the device answered at the door. A refusal there (red or amber) is
    recorded as a refused scan and never turned into an admission now: the person was sent away. A green one
    refused here because someone else admitted the ticket first is a double entry for the organizer to look at.
    """
    device_refused = offline and device_result is not None and device_result not in GREEN
    nonce = _clean_nonce(nonce)
    device_id = strip_control(str(device_id or ""))[:MAX_DEVICE]  # PostgreSQL refuses NUL in text
    event = db.session.get_one(Event, point.event_id)
    now = utcnow()
    at = at or now
    if at.tzinfo is None:
        raise ValidationFailed("invalid_time", _l("A time zone offset is required."))
    prefix, digest = _code_fingerprint(code)
    # A retried nonce is not looked up first (a round trip every scan paid for the rare retry): the scan's INSERT
    # meets the nonce's unique index, and the answer given the first time is returned below, any admission made
    # meanwhile taken back.
    ticket, result, detail = _judge(point, code)
    if device_refused and result == ADMITTED:
        # The device turned them away (a stale copy, a setting changed since): so it stays.
        result, detail = str(device_result), DEVICE_REFUSED
    registration = ticket.registration if ticket is not None and result != WRONG_EVENT else None
    checkin, result, detail, inserted = _admit(event, point, ticket, registration, result, detail, by=by, at=at,
                                               nonce=nonce, device_id=device_id, offline=offline)
    double = offline and not device_refused and result == ALREADY and checkin is not None
    scan_id = _insert(Scan, {
        "event_id": event.id, "point_id": point.id, "by_id": by.id if by else None, "device_id": device_id,
        "nonce": nonce, "code_prefix": prefix, "code_hash": digest, "scanned_at": at, "received_at": now,
        "result": result, "detail": detail, "offline": offline, "double_entry": double,
        "time_clamped": time_clamped, "registration_id": registration.id if registration else None,
        "checkin_id": checkin.id if checkin is not None else None,
    }, conflict=("event_id", "nonce"))
    if scan_id is None:
        # The same nonce arrived twice at once: the other request recorded it (and committed: the INSERT waited
        # for it); answer what it answered, and take back the admission this one made.
        if inserted is not None:
            db.session.execute(delete(CheckIn).where(CheckIn.id == inserted.id))
            db.session.expunge(inserted)
        replay = _replay(event, nonce, digest) if nonce is not None else None
        if replay is None:
            raise RuntimeError("scan refused by the nonce constraint but not found")
        return replay.freeze()
    checkins_changed.send(event.id)
    return CheckInResult(result, scan_id, detail, registration, checkin, double_entry=double,
                         time_clamped=time_clamped).freeze()


def _insert(model: type[CheckIn] | type[Scan], values: dict[str, Any], *, conflict: tuple[str, ...]) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new row's id, or None when the unique index or constraint
    on the columns `conflict` already holds one. A SAVEPOINT around a plain INSERT did the same in three round
    trips. On PostgreSQL a conflicting row of a transaction in progress makes the INSERT wait for its outcome."""
    dialect = db.session.get_bind().dialect.name
    return db.session.scalar(_insert_statement(model, dialect, conflict), values)


_INSERTS: dict[tuple[Any, ...], Any] = {}


def _insert_statement(model: type[CheckIn] | type[Scan], dialect: str, conflict: tuple[str, ...]) -> Any:
    """The statement, made once per model and dialect: a Core INSERT on the table with the row as parameters.
    An ORM-enabled `insert(model).values(...)` built per scan cost ~12 % of a scan's CPU in the door bench (the
    ORM bulk-insert path and a cache key over every value); this one's cache key is computed from a fixed shape.
    A partial unique index's predicate is the index's own, read off the table (one definition, in the model)."""
    key = (model, dialect, conflict)
    stmt = _INSERTS.get(key)
    if stmt is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        table = cast(Table, model.__table__)
        where = next((ix.dialect_options[dialect]["where"] for ix in table.indexes
                      if ix.unique and tuple(c.name for c in ix.columns) == conflict), None)
        stmt = (insert(table).on_conflict_do_nothing(index_elements=list(conflict), index_where=where)
                .returning(table.c.id))
        _INSERTS[key] = stmt
    return stmt


def _persistent(model: type[CheckIn], row_id: int, values: dict[str, Any]) -> CheckIn:
    """The ORM object of a row this transaction just inserted with `values` (every column), without a SELECT."""
    # An object already under this id is a leftover of an insert rolled back in this session (the ORM did not make
    # it, so a rollback does not drop it) whose id SQLite gave out again: the new row is the truth.
    stale = db.session.identity_map.get(db.session.identity_key(model, row_id))
    if stale is not None:
        db.session.expunge(stale)
    obj = model(id=row_id, **values)
    make_transient_to_detached(obj)
    db.session.add(obj)
    return obj


def _admit(event: Event, point: CheckInPoint, ticket: Ticket | None, registration: Registration | None,
           result: str, detail: str, *, by: User | None, at: datetime, nonce: str | None, device_id: str,
           offline: bool) -> tuple[CheckIn | None, str, str, CheckIn | None]:
    """(check-in to answer with, result, detail, the check-in this call inserted or None). An in-person ticket
    already admitted here is found by the check-in's own INSERT (its unique index), not by a read before every
    scan."""
    if result != ADMITTED or registration is None or ticket is None:
        return None, result, detail, None
    values = {"event_id": event.id, "registration_id": registration.id, "ticket_id": ticket.id,
              "point_id": point.id, "admitted_at": at, "by_id": by.id if by else None, "nonce": nonce,
              "device_id": device_id, "offline": offline, "upgraded": False, "undone_at": None,
              "undone_by_id": None}
    if registration.mode == AttendanceMode.REMOTE:
        return _admit_remote(event, registration, values)
    checkin_id = _insert(CheckIn, values, conflict=("registration_id", "point_id"))
    if checkin_id is None:
        # Another scanner admitted this ticket at this point first (and committed).
        return _live_checkin(registration.id, point.id), ALREADY, "", None
    checkin = _persistent(CheckIn, checkin_id, values)
    return checkin, ADMITTED, "", checkin


def _admit_remote(event: Event, registration: Registration,
                  values: dict[str, Any]) -> tuple[CheckIn | None, str, str, CheckIn | None]:
    """A remote ticket at the door: admitted only with a seat claimed for it (rare: the SAVEPOINT path). Looked up
    first, so a second scan never claims a second seat; both reads come before this scan's first write."""
    existing = _live_checkin(registration.id, values["point_id"])
    if existing is not None:
        return existing, ALREADY, "", None
    upgrade_allowed = remote_upgrade_allowed(event)
    checkin = CheckIn(**values)
    try:
        with db.session.begin_nested():
            db.session.add(checkin)
            db.session.flush()
            _upgrade_or_refuse(event, registration, upgrade_allowed)
            checkin.upgraded = True
    except IntegrityError:
        return _live_checkin(registration.id, values["point_id"]), ALREADY, "", None
    except _Refused as refused:
        return None, refused.code, refused.detail, None
    return checkin, ADMITTED_UPGRADE, "", checkin


def _upgrade_or_refuse(event: Event, registration: Registration, allowed: bool) -> None:
    if not allowed:
        raise _Refused(REMOTE_ONLY, "upgrade_off")
    # The registration service's conditional counter: a seat is claimed only if one remains.
    if not reg_services.claim_seat(event, AttendanceMode.IN_PERSON):
        raise _Refused(REMOTE_ONLY, "no_seats")
    reg_services.release_seat(event, AttendanceMode.REMOTE)
    registration.mode = AttendanceMode.IN_PERSON
    db.session.flush()


def check_in_registration(registration: Registration, *, by: User | None, point: CheckInPoint,
                          nonce: str | None = None) -> CheckInResult:
    """One-tap check-in from the search list (forgotten ticket): the same rules, with the ticket in force."""
    if registration.event_id != point.event_id:
        raise NotFound("registration_not_found", _l("No such registration."))
    ticket = registration.ticket or (registration.tickets[-1] if registration.tickets else None)
    if ticket is None:
        raise Conflict("no_ticket", _l("This registration has no ticket in force."))
    return check_in(ticket.code, by=by, point=point, nonce=nonce, device_id="search")


def undo_checkin(checkin: CheckIn, *, by: User) -> CheckIn:
    if checkin.undone_at is not None:
        raise Conflict("already_undone", _l("This check-in was already undone."))
    checkin.undone_at, checkin.undone_by_id = utcnow(), by.id
    db.session.flush()
    checkins_changed.send(checkin.event_id)
    return checkin


def get_checkin(event: Event, checkin_id: int) -> CheckIn:
    checkin = db.session.get(CheckIn, checkin_id) if valid_id(checkin_id) else None
    if checkin is None or checkin.event_id != event.id:
        raise NotFound("checkin_not_found", _l("No such check-in."))
    return checkin


# --- offline sync ---------------------------------------------------------------------------------------------

@dataclass
class OfflineScan:
    code: str
    nonce: str
    at: datetime
    point_id: int
    device_id: str = ""
    local_result: str | None = None


OFFLINE_MAX_AGE = timedelta(days=7)  # CHECKIN_OFFLINE_MAX_AGE_HOURS
OFFLINE_EARLY = timedelta(hours=24)  # CHECKIN_OPENS_BEFORE_HOURS: doors (badge pick-up) open before the start


def offline_limits(config: Any) -> dict[str, timedelta]:
    """`sync_offline`'s window from the app's configuration (hours)."""
    return {"max_age": timedelta(hours=float(config["CHECKIN_OFFLINE_MAX_AGE_HOURS"])),
            "early": timedelta(hours=float(config["CHECKIN_OPENS_BEFORE_HOURS"]))}


def offline_window(event: Event, now: datetime, *, max_age: timedelta = OFFLINE_MAX_AGE,
                   early: timedelta = OFFLINE_EARLY) -> tuple[datetime, datetime]:
    """The device times an offline scan may claim: not in the future, not older than `max_age`, and — once the
    event's check-in has opened (`early` before its start) — not before that opening."""
    earliest = now - max_age
    opening = event.starts_at - early
    if opening <= now:
        earliest = max(earliest, opening)
    return earliest, now


def sync_offline(event: Event, scans: list[OfflineScan], *, by: User | None,
                 max_age: timedelta = OFFLINE_MAX_AGE, early: timedelta = OFFLINE_EARLY) -> list[dict[str, Any]]:
    """Record scans made offline, each as it happened, in device time order. Idempotent per nonce.

    A device clock outside `offline_window` (ahead of ours, or years behind) is clamped into it and the scan
    flagged `time_clamped`, for the organizer to look at."""
    now = utcnow()
    earliest, latest = offline_window(event, now, max_age=max_age, early=early)
    out: list[dict[str, Any]] = []
    for item in sorted(enumerate(scans), key=lambda pair: pair[1].at):
        index, scan = item
        try:
            point = get_point(event, scan.point_id)
            at = min(max(scan.at, earliest), latest)
            result = check_in(scan.code, by=by, point=point, nonce=scan.nonce, at=at, device_id=scan.device_id,
                              offline=True, device_result=scan.local_result, time_clamped=at != scan.at)
            out.append({"index": index, "nonce": scan.nonce, "ok": True, **result.to_dict()})
        except (NotFound, Conflict, ValidationFailed) as exc:
            out.append({"index": index, "nonce": scan.nonce, "ok": False, "error": exc.to_dict()})
    return sorted(out, key=lambda r: r["index"])
