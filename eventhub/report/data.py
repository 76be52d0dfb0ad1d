"""What the final report says, gathered in a fixed, small number of aggregate queries (never one per row).

`collect(event)` returns plain, JSON-serialisable data: the same dict feeds the web preview, the PDF, the
XLSX workbook and the API, and its SHA-256 is the checksum printed on every page of an issued version.
Sections appear only when their data exists: other areas (the floor's speaking times, the stage…) add theirs by
answering the `report_collect` signal (see `provided_sections`).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select, union

from eventhub.auth.models import EventRole, Role, User
from eventhub.checkin.models import CheckIn, CheckInPoint, PointKind
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.qa.models import Poll, PollOption, PollStatus, PollVote, Question, QuestionStatus, Vote
from eventhub.registration.models import AttendanceMode, Registration, RegistrationStatus
from eventhub.report.models import Recommendation, ReportSettings, SessionRapporteur, SessionSummary
from eventhub.schedule.services import sessions_of
from eventhub.signals import report_collect

ASKED_STATUSES = (QuestionStatus.APPROVED, QuestionStatus.ANSWERED, QuestionStatus.ARCHIVED)


def checksum(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _event_part(event: Event) -> dict[str, Any]:
    settings = db.session.get(ReportSettings, event.id)
    organizers = _lines(settings.organizers) if settings else []
    if not organizers:
        organizers = list(db.session.scalars(
            select(User.name).join(EventRole, EventRole.user_id == User.id)
            .where(EventRole.event_id == event.id, EventRole.role == Role.ORGANIZER).order_by(User.name)))
    return {"id": event.id, "title": event.title, "venue": event.venue, "room": event.room,
            "timezone": event.timezone, "starts_at": event.starts_at.isoformat(), "ends_at": event.ends_at.isoformat(),
            "organizers": organizers, "partners": _lines(settings.partners) if settings else []}


def _present_ids_query(event: Event):  # noqa: ANN202
    """Registrations admitted at an entrance point (undone check-ins do not count)."""
    return (select(CheckIn.registration_id).join(CheckInPoint, CheckIn.point_id == CheckInPoint.id)
            .where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None), CheckInPoint.kind == PointKind.ENTRANCE)
            .distinct())


def _attendance(event: Event) -> dict[str, Any]:
    present = _present_ids_query(event).subquery()
    rows = db.session.execute(
        select(Registration.country, Registration.organization_type, Registration.mode,
               func.count(Registration.id), func.count(present.c.registration_id))
        .outerjoin(present, present.c.registration_id == Registration.id)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(Registration.country, Registration.organization_type, Registration.mode)).all()
    waitlisted = db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.event_id == event.id, Registration.status == RegistrationStatus.WAITLISTED)) or 0
    by_country: dict[str, dict[str, int]] = defaultdict(lambda: {"registered": 0, "in_person": 0, "remote": 0,
                                                                  "present": 0})
    by_type: dict[str, dict[str, int]] = defaultdict(lambda: {"registered": 0, "present": 0})
    totals = {"registered": 0, "in_person": 0, "remote": 0, "present": 0, "present_remote_ticket": 0}
    for country, org_type, mode, n, n_present in rows:
        key = "in_person" if mode == AttendanceMode.IN_PERSON else "remote"
        for bucket in (by_country[country], totals):
            bucket["registered"] += n
            bucket[key] += n
            bucket["present"] += n_present
        by_type[org_type or ""]["registered"] += n
        by_type[org_type or ""]["present"] += n_present
        if mode == AttendanceMode.REMOTE:
            totals["present_remote_ticket"] += n_present  # remote tickets admitted into the room
    return {
        **totals, "waitlisted": int(waitlisted),
        "by_country": sorted(({"country": c, **v} for c, v in by_country.items()),
                             key=lambda r: (-r["registered"], r["country"])),
        "by_org_type": sorted(({"type": t, **v} for t, v in by_type.items()),
                              key=lambda r: (-r["registered"], r["type"])),
    }


def _session_counts(session_ids: list[int]) -> dict[str, dict[int, Any]]:
    if not session_ids:
        return {"scans": {}, "participants": {}}
    scans: dict[int, Any]
    participants: dict[int, Any]
    scans = dict(db.session.execute(  # type: ignore[arg-type]
        select(CheckInPoint.agenda_session_id, func.count(func.distinct(CheckIn.registration_id)))
        .join(CheckIn, CheckIn.point_id == CheckInPoint.id)
        .where(CheckInPoint.agenda_session_id.in_(session_ids), CheckIn.undone_at.is_(None))
        .group_by(CheckInPoint.agenda_session_id)).all())
    # Online, coarse: the distinct people who asked, voted on a question or answered a poll in the session.
    keys = union(
        select(Question.session_id.label("sid"), Question.author_key.label("k"))
        .where(Question.session_id.in_(session_ids)),
        select(Question.session_id, Vote.voter_key).join(Vote, Vote.question_id == Question.id)
        .where(Question.session_id.in_(session_ids)),
        select(Poll.session_id, PollVote.voter_key).join(PollVote, PollVote.poll_id == Poll.id)
        .where(Poll.session_id.in_(session_ids)),
    ).subquery()
    participants = dict(db.session.execute(  # type: ignore[arg-type]
        select(keys.c.sid, func.count(func.distinct(keys.c.k))).group_by(keys.c.sid)).all())
    return {"scans": scans, "participants": participants}


def _questions(session_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not session_ids:
        return out
    rows = db.session.execute(
        select(Question.id, Question.session_id, Question.text, Question.status, Question.votes,
               Question.answered_at)
        .where(Question.session_id.in_(session_ids), Question.status.in_(ASKED_STATUSES),
               Question.merged_into_id.is_(None))
        .order_by(Question.session_id, Question.votes.desc(), Question.id)).all()
    for qid, sid, text, status, votes, answered_at in rows:
        out[sid].append({"id": qid, "text": text, "votes": int(votes),
                         "answered": status == QuestionStatus.ANSWERED or answered_at is not None})
    return out


def _question_totals(session_ids: list[int]) -> dict[int, dict[str, int]]:
    if not session_ids:
        return {}
    rows = db.session.execute(
        select(Question.session_id, Question.status, func.count(), func.coalesce(func.sum(Question.votes), 0))
        .where(Question.session_id.in_(session_ids)).group_by(Question.session_id, Question.status)).all()
    out: dict[int, dict[str, int]] = defaultdict(lambda: {"asked": 0, "approved": 0, "answered": 0, "votes": 0})
    for sid, status, n, votes in rows:
        out[sid]["asked"] += n
        if status in ASKED_STATUSES:
            out[sid]["approved"] += n
            out[sid]["votes"] += int(votes)
        if status == QuestionStatus.ANSWERED:
            out[sid]["answered"] += n
    return out


def _polls(session_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not session_ids:
        return out
    rows = db.session.execute(
        select(Poll.id, Poll.session_id, Poll.question, Poll.voters, PollOption.label, PollOption.votes)
        .join(PollOption, PollOption.poll_id == Poll.id)
        .where(Poll.session_id.in_(session_ids), Poll.status != PollStatus.DRAFT)
        .order_by(Poll.session_id, Poll.id, PollOption.position, PollOption.id)).all()
    polls: dict[int, dict[str, Any]] = {}
    for pid, sid, question, voters, label, votes in rows:
        if pid not in polls:
            polls[pid] = {"id": pid, "question": question, "voters": int(voters), "options": []}
            out[sid].append(polls[pid])
        polls[pid]["options"].append({"label": label, "votes": int(votes)})
    return out


def provided_sections(event: Event, session_ids: list[int]) -> list[dict[str, Any]]:
    """Sections other areas provide, through `signals.report_collect` (sender: the Event; kwargs: session_ids).

    A receiver returns a list (or None) of dicts: {"key": str, "title": str (already translated: the report is
    rendered inside `force_locale`), "session_id": int | None (None: an event-wide section), "columns": [str],
    "rows": [[str | int]]}. The floor's speaking time per delegation is key "speaking_time".
    """
    out: list[dict[str, Any]] = []
    for _receiver, result in report_collect.send(event, session_ids=session_ids):
        for section in result or ():
            if isinstance(section, dict) and section.get("rows"):
                out.append({"key": str(section.get("key", "")), "title": str(section.get("title", "")),
                            "session_id": section.get("session_id"),
                            "columns": [str(c) for c in section.get("columns", [])],
                            "rows": [[c if isinstance(c, int) else str(c) for c in row] for row in section["rows"]]})
    return out


def collect(event: Event) -> dict[str, Any]:
    sessions = sessions_of(event, published_only=True, include_cancelled=False)
    ids = [s.id for s in sessions]
    counts = _session_counts(ids)
    questions, totals, polls = _questions(ids), _question_totals(ids), _polls(ids)
    summaries = dict(db.session.execute(select(SessionSummary.session_id, SessionSummary.text)
                                        .where(SessionSummary.session_id.in_(ids))).all()) if ids else {}
    rapporteurs: dict[int, list[str]] = defaultdict(list)
    if ids:
        for sid, name in db.session.execute(
                select(SessionRapporteur.session_id, User.name).join(User, User.id == SessionRapporteur.user_id)
                .where(SessionRapporteur.session_id.in_(ids)).order_by(User.name)):
            rapporteurs[sid].append(name)
    provided = provided_sections(event, ids)
    titles = {s.id: s.title for s in sessions}
    out_sessions = []
    for s in sessions:
        out_sessions.append({
            "id": s.id, "title": s.title, "kind": s.kind.value, "starts_at": s.starts_at.isoformat(),
            "ends_at": s.ends_at.isoformat(), "room": s.room.name if s.room else "",
            "panelists": [{"name": sp.panelist.name, "title": sp.panelist.title,
                           "organization": sp.panelist.organization, "country": sp.panelist.country,
                           "mode": sp.effective_mode.value} for sp in s.panelists],
            "moderators": [m.user.name for m in s.moderators], "rapporteurs": rapporteurs.get(s.id, []),
            "door_scans": int(counts["scans"].get(s.id, 0)),
            "online_participants": int(counts["participants"].get(s.id, 0)),
            "summary": summaries.get(s.id, ""),
            "question_totals": dict(totals.get(s.id, {"asked": 0, "approved": 0, "answered": 0, "votes": 0})),
            "questions": questions.get(s.id, []), "polls": polls.get(s.id, []),
            "sections": [p for p in provided if p["session_id"] == s.id],
        })
    recs = db.session.execute(
        select(Recommendation).where(Recommendation.event_id == event.id)
        .order_by(Recommendation.domain, Recommendation.actor, Recommendation.id)).scalars().all()
    participants = db.session.execute(
        select(Registration.name, Registration.organization, Registration.country)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED,
               Registration.listed.is_(True))
        .order_by(Registration.name, Registration.id)).all()
    attendance = _attendance(event)
    return {
        "event": _event_part(event),
        "attendance": attendance,
        "sessions": out_sessions,
        "recommendations": [{"id": r.id, "title": r.title, "text": r.text, "domain": r.domain.value,
                             "actor": r.actor.value, "priority": r.priority.value,
                             "session": titles.get(r.session_id, "")} for r in recs],
        "participants": [{"name": n, "organization": o, "country": c} for n, o, c in participants],
        "unlisted": attendance["registered"] - len(participants),
        "sections": [p for p in provided if p["session_id"] is None],
    }


def by_key(items: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        out[item[key]].append(item)
    return dict(out)

