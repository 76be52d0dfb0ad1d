"""JSON API: the data behind the report, for organizers' own tools (the event's bearer token)."""

from __future__ import annotations

from flask import Blueprint, g
from flask_babel import gettext as _

from eventhub.auth.tokens import token_required
from eventhub.core.apidoc import operation
from eventhub.core.errors import NotFound
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.report import schemas
from eventhub.report.data import collect, provided_sections
from eventhub.schedule.services import sessions_of

bp = Blueprint("report_api", __name__, url_prefix="/api/v1")


def _event() -> Event:
    event = db.session.get(Event, g.api_token.event_id)
    if event is None:
        raise NotFound("event_not_found", _("No such event."))
    return event


@bp.get("/events/<int:event_id>/report/attendance")
@operation("getReportAttendance", "Attendance behind the final report: registered and present, by mode, country, "
           "kind of organization and session", responses={200: schemas.ReportAttendance}, errors=(401, 403, 404))
@token_required
def attendance(event_id: int):
    data = collect(_event())
    att = data["attendance"]
    return schemas.ReportAttendance(
        event_id=event_id, registered=att["registered"], in_person=att["in_person"], remote=att["remote"],
        present=att["present"], waitlisted=att["waitlisted"], unlisted=data["unlisted"],
        by_country=att["by_country"], by_org_type=att["by_org_type"],
        sessions=[schemas.SessionAttendance(session_id=s["id"], title=s["title"], door_scans=s["door_scans"],
                                            online_participants=s["online_participants"]) for s in data["sessions"]],
    )


@bp.get("/events/<int:event_id>/report/questions")
@operation("getReportQuestions", "Questions the audience saw (approved, answered, archived), with votes",
           responses={200: schemas.ReportQuestionList}, errors=(401, 403, 404))
@token_required
def questions(event_id: int):
    data = collect(_event())
    return schemas.ReportQuestionList(items=[
        schemas.ReportQuestion(session_id=s["id"], **q) for s in data["sessions"] for q in s["questions"]
    ])


@bp.get("/events/<int:event_id>/report/polls")
@operation("getReportPolls", "Poll results (opened or closed polls)", responses={200: schemas.ReportPollList},
           errors=(401, 403, 404))
@token_required
def polls(event_id: int):
    data = collect(_event())
    return schemas.ReportPollList(items=[
        schemas.ReportPoll(session_id=s["id"], **p) for s in data["sessions"] for p in s["polls"]
    ])


@bp.get("/events/<int:event_id>/report/speaking-times")
@operation("getReportSpeakingTimes", "Speaking time per delegation, when the floor provides it (empty otherwise)",
           responses={200: schemas.ProvidedSectionList}, errors=(401, 403, 404))
@token_required
def speaking_times(event_id: int):
    """What the floor provides through `report_collect` (key "speaking_time"); empty until it is connected."""
    event = _event()
    ids = [s.id for s in sessions_of(event, published_only=True, include_cancelled=False)]
    return schemas.ProvidedSectionList(items=[
        schemas.ProvidedSection(**s) for s in provided_sections(event, ids) if s["key"] == "speaking_time"]
    )
