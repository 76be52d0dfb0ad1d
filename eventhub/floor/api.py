"""JSON API for organizers: speaking times per speaker and per delegation (the event's bearer token)."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import gettext as _

from eventhub.auth.tokens import token_required
from eventhub.core.apidoc import operation
from eventhub.core.errors import NotFound
from eventhub.events import services as event_services
from eventhub.extensions import db
from eventhub.floor import schemas, services, totals
from eventhub.schedule.models import AgendaSession

bp = Blueprint("floor_api", __name__, url_prefix="/api/v1")


@bp.get("/events/<int:event_id>/speaking-times")
@operation("getEventSpeakingTimes", "Speaking times of the event: every speech, totals per speaker and per delegation",
           responses={200: schemas.EventSpeakingTotals}, errors=(401, 403, 404))
@token_required
def event_speaking_times(event_id: int):
    event = event_services.get_event(event_id)
    return totals.event_speaking_totals(event)


@bp.get("/events/<int:event_id>/sessions/<int:session_id>/speaking-times")
@operation("getSessionSpeakingTimes", "Speaking times of one session (open speeches count so far)",
           responses={200: schemas.SessionSpeakingTotals}, errors=(401, 403, 404))
@token_required
def session_speaking_times(event_id: int, session_id: int):
    session = db.session.get(AgendaSession, session_id) if services.valid_id(session_id) else None
    if session is None or session.event_id != event_id:
        raise NotFound("session_not_found", _("No such session in this event."))
    return totals.speaking_totals(session)
