"""Reading the check-in state: the offline ticket list, name search, live counters, the scan log.

Kept apart from services.py, which holds the rules that change state (check-in, undo, offline sync).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from sqlalchemy.orm import joinedload

from eventhub.checkin.models import CheckIn, CheckInPoint, PointKind, Scan
from eventhub.checkin.services import points_for, remote_upgrade_allowed
from eventhub.core.errors import strip_control
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.registration import services as reg_services
from eventhub.registration.models import Registration, RegistrationStatus, Ticket
from eventhub.tickets import codes


def ticket_key(secret: bytes) -> str:
    """What the offline snapshot is keyed by: no code, no personal data in the key."""
    return hashlib.sha256(secret).hexdigest()[:24]


def snapshot(event: Event) -> dict[str, Any]:
    """What a scanner device keeps offline: per ticket, only what door staff need to see (no emails).

    It carries every rule the device's judge (static/js/checkin-judge.js) applies: the remote-upgrade setting and
    seats left, each point's kind and "requires entry", per ticket its state, live check-ins by point (`c`) and
    whether it came in through an entrance (`e`).
    """
    rows = db.session.execute(
        db.select(Ticket.secret, Ticket.revoked_at, Ticket.revoked_reason, Registration.id, Registration.name,
                  Registration.organization, Registration.mode, Registration.status)
        .join(Registration, Ticket.registration_id == Registration.id).where(Ticket.event_id == event.id)
    ).all()
    live = db.session.execute(
        db.select(CheckIn.registration_id, CheckIn.point_id, CheckIn.admitted_at, CheckInPoint.kind)
        .join(CheckInPoint, CheckIn.point_id == CheckInPoint.id)
        .where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None))
    ).all()
    checked: dict[int, dict[str, str]] = {}
    entered: set[int] = set()  # through any entrance, archived ones too (what `requires entry` asks)
    for reg_id, point_id, admitted_at, kind in live:
        checked.setdefault(reg_id, {})[str(point_id)] = admitted_at.isoformat()
        if kind == PointKind.ENTRANCE:
            entered.add(reg_id)
    tickets = {}
    for secret, revoked_at, revoked_reason, reg_id, name, org, mode, status in rows:
        state = status.value
        if status != RegistrationStatus.CANCELLED and revoked_at is not None:
            state = "reissued" if revoked_reason == "reissued" else "revoked"
        tickets[ticket_key(secret)] = {"r": reg_id, "n": name, "o": org, "m": mode.value, "s": state,
                                       "c": checked.get(reg_id, {}), "e": reg_id in entered}

    return {
        "event_id": event.id, "code_version": codes.VERSION,
        "public_key": base64.urlsafe_b64encode(codes.public_key_bytes(event.signing_key)).decode().rstrip("="),
        "remote_upgrade": remote_upgrade_allowed(event), "seats_left": event.seats_left,
        "points": [{"id": p.id, "name": p.name, "kind": p.kind.value, "requires_entry": p.requires_entry}
                   for p in points_for(event)],
        "tickets": tickets,
    }


def search(event: Event, q: str, *, limit: int = 20) -> list[dict[str, Any]]:
    # PostgreSQL refuses NUL in a string literal: drop control characters before they reach the query.
    q = " ".join(strip_control(str(q or "")).split())[:100]
    if len(q) < 2:
        return []
    rows, _total = reg_services.search_registrations(event, reg_services.RegistrationFilter(q=q), limit=limit)
    ids = [r.id for r in rows]
    live = db.session.execute(
        db.select(CheckIn.registration_id, CheckIn.point_id, CheckIn.admitted_at)
        .where(CheckIn.registration_id.in_(ids), CheckIn.undone_at.is_(None))
    ).all() if ids else []
    checked: dict[int, dict[str, str]] = {}
    for reg_id, point_id, admitted_at in live:
        checked.setdefault(reg_id, {})[str(point_id)] = admitted_at.isoformat()
    return [{"registration_id": r.id, "name": r.name, "organization": r.organization, "mode": r.mode.value,
             "status": r.status.value, "checked_in": checked.get(r.id, {})} for r in rows]


def counters(event: Event) -> dict[str, Any]:
    points = points_for(event)
    per_point = dict(db.session.execute(
        db.select(CheckIn.point_id, db.func.count()).where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None))
        .group_by(CheckIn.point_id)
    ).all())
    entered = db.session.scalar(
        db.select(db.func.count(db.distinct(CheckIn.registration_id)))
        .join(CheckInPoint, CheckIn.point_id == CheckInPoint.id)
        .where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None), CheckInPoint.kind == PointKind.ENTRANCE)
    ) or 0
    reg_counts = reg_services.counts(event)
    # `WHERE double_entry`, not `IS true`: the partial index's own predicate, so PostgreSQL uses it.
    doubles = db.session.scalar(db.select(db.func.count()).select_from(Scan).where(
        Scan.event_id == event.id, Scan.double_entry)) or 0
    return {
        "event_id": event.id, "checked_in": int(entered), "expected": reg_counts["confirmed_in_person"],
        "remote": reg_counts["confirmed_remote"], "double_entries": int(doubles),
        "points": [{"id": p.id, "name": p.name, "kind": p.kind.value, "checked_in": int(per_point.get(p.id, 0))}
                   for p in points],
    }


def log(event: Event, *, limit: int | None = 500, offset: int = 0, double_only: bool = False) -> list[Scan]:
    # The dashboard and the CSV show each scan's point, scanner, attendee and check-in: loaded in the same query.
    query = (db.select(Scan).where(Scan.event_id == event.id).order_by(Scan.scanned_at.desc(), Scan.id.desc())
             .options(joinedload(Scan.point), joinedload(Scan.by), joinedload(Scan.registration),
                      joinedload(Scan.checkin)))
    if double_only:
        query = query.where(Scan.double_entry)  # the partial index's own predicate
    query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def live_checkins(event: Event, *, limit: int = 200) -> list[CheckIn]:
    return list(db.session.scalars(
        db.select(CheckIn).where(CheckIn.event_id == event.id).order_by(CheckIn.admitted_at.desc(), CheckIn.id.desc())
        .options(joinedload(CheckIn.registration), joinedload(CheckIn.point), joinedload(CheckIn.by))
        .limit(limit)))


def scan_out(scan: Scan) -> dict[str, Any]:
    return {"id": scan.id, "scanned_at": scan.scanned_at.isoformat(), "received_at": scan.received_at.isoformat(),
            "point_id": scan.point_id, "point": scan.point.name, "by": scan.by.name if scan.by else "",
            "device_id": scan.device_id, "result": scan.result, "detail": scan.detail, "offline": scan.offline,
            "double_entry": scan.double_entry, "registration_id": scan.registration_id,
            "name": scan.registration.name if scan.registration else "", "code_prefix": scan.code_prefix,
            "nonce": scan.nonce, "checkin_id": scan.checkin_id,
            "undone": bool(scan.checkin and scan.checkin.undone_at is not None)}
