"""The organizers' live dashboard: one snapshot built from a handful of aggregate queries (never one per row).

Check-in figures come from the check-in area's own counters (`checkin.queries.counters`); the rest is grouped
per session in one query per table. Who is connected right now is read from the Socket.IO server's rooms of this
process (coarse: with several processes each counts its own clients).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select

from eventhub.checkin import queries as checkin_queries
from eventhub.checkin.models import CheckIn, CheckInPoint, PointKind, Scan
from eventhub.core.types import utcnow
from eventhub.events.models import Event
from eventhub.extensions import db, socketio
from eventhub.qa import broadcast as qa_bc
from eventhub.qa.models import Poll, PollStatus, Question, QuestionStatus
from eventhub.qa.sockets import NAMESPACE as QA_NAMESPACE
from eventhub.registration.models import AttendanceMode, Registration, RegistrationStatus
from eventhub.schedule.models import AgendaSession
from eventhub.signals import dashboard_collect

SCANNER_ONLINE = timedelta(minutes=2)
COARSE_ABOVE = 20  # connected-client counts above this are rounded to the nearest 10


def connected(room: str, namespace: str) -> int:
    """Clients of this process in `room` (Socket.IO's own bookkeeping: no database query)."""
    server = getattr(socketio, "server", None)
    manager = getattr(server, "manager", None)
    rooms = getattr(manager, "rooms", None) or {}
    return len(rooms.get(namespace, {}).get(room, {}) or {})


def coarse(n: int) -> int:
    return n if n <= COARSE_ABOVE else round(n, -1)


def _by_country(event: Event) -> list[dict[str, Any]]:
    entered = (select(CheckIn.registration_id).join(CheckInPoint, CheckIn.point_id == CheckInPoint.id)
               .where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None),
                      CheckInPoint.kind == PointKind.ENTRANCE).distinct().subquery())
    rows = db.session.execute(
        select(Registration.country, func.count(Registration.id),
               func.sum(case((Registration.mode == AttendanceMode.IN_PERSON, 1), else_=0)),
               func.count(entered.c.registration_id))
        .outerjoin(entered, entered.c.registration_id == Registration.id)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(Registration.country).order_by(func.count(Registration.id).desc(), Registration.country)).all()
    return [{"country": c, "registered": int(n), "in_person": int(room or 0), "remote": int(n) - int(room or 0),
             "checked_in": int(p)} for c, n, room, p in rows]


def _scanners(event: Event, now: datetime) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Scan.device_id, func.max(Scan.received_at), func.count(),
               func.sum(case((Scan.offline.is_(True), 1), else_=0)))
        .where(Scan.event_id == event.id).group_by(Scan.device_id).order_by(Scan.device_id)).all()
    out = []
    for device, last, n, offline in rows:
        out.append({"device_id": device or "?", "last_seen_at": last.isoformat() if last else None,
                    "online": bool(last and now - last <= SCANNER_ONLINE), "scans": int(n),
                    "synced_offline": int(offline or 0)})
    return out


def snapshot(event: Event, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    counters = checkin_queries.counters(event)
    sessions = list(db.session.execute(
        select(AgendaSession.id, AgendaSession.title, AgendaSession.starts_at, AgendaSession.ends_at)
        .where(AgendaSession.event_id == event.id, AgendaSession.cancelled_at.is_(None))
        .order_by(AgendaSession.starts_at, AgendaSession.id)).all())
    ids = [s.id for s in sessions]
    pending = dict(db.session.execute(
        select(Question.session_id, func.count()).where(Question.session_id.in_(ids),
                                                        Question.status == QuestionStatus.PENDING)
        .group_by(Question.session_id)).all()) if ids else {}
    asked = dict(db.session.execute(
        select(Question.session_id, func.count()).where(Question.session_id.in_(ids))
        .group_by(Question.session_id)).all()) if ids else {}
    turnout = {sid: (int(v or 0), int(n)) for sid, v, n in db.session.execute(
        select(Poll.session_id, func.max(Poll.voters), func.count()).where(
            Poll.session_id.in_(ids), Poll.status != PollStatus.DRAFT).group_by(Poll.session_id)).all()} if ids else {}
    session_points = dict(db.session.execute(
        select(CheckInPoint.agenda_session_id, CheckInPoint.id).where(
            CheckInPoint.event_id == event.id, CheckInPoint.agenda_session_id.in_(ids))).all()) if ids else {}
    per_point = {p["id"]: p["checked_in"] for p in counters["points"]}
    out_sessions = []
    online_total = 0
    for s in sessions:
        viewers = connected(qa_bc.session_room(s.id), QA_NAMESPACE)
        online_total += viewers
        voters, polls = turnout.get(s.id, (0, 0))
        out_sessions.append({
            "id": s.id, "title": s.title, "starts_at": s.starts_at.isoformat(), "ends_at": s.ends_at.isoformat(),
            "live": s.starts_at <= now < s.ends_at, "viewers": coarse(viewers),
            "questions": int(asked.get(s.id, 0)), "pending": int(pending.get(s.id, 0)),
            "polls": polls, "poll_voters": voters,
            "in_room": int(per_point.get(session_points[s.id], 0)) if s.id in session_points else None,
        })
    return {
        "event_id": event.id, "at": now.isoformat(),
        "registered": {"in_person": counters["expected"], "remote": counters["remote"],
                       "total": counters["expected"] + counters["remote"]},
        "checked_in": counters["checked_in"], "double_entries": counters["double_entries"],
        "points": counters["points"], "by_country": _by_country(event),
        "online_now": coarse(online_total), "sessions": out_sessions, "scanners": _scanners(event, now),
        "provided": provided(event),
    }


def provided(event: Event) -> list[dict[str, Any]]:
    """What other areas add through `signals.dashboard_collect` (the floor's speaker and remaining time…)."""
    out = []
    for _receiver, result in dashboard_collect.send(event):
        for part in result or ():
            if isinstance(part, dict) and part.get("rows"):
                out.append({"key": str(part.get("key", "")), "title": str(part.get("title", "")),
                            "rows": [[c if isinstance(c, int) else str(c) for c in row] for row in part["rows"]]})
    return out
