"""JSON API for organizers: speaking times per speaker and per delegation (the event's bearer token)."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import gettext as _

from eventhub.api.routes import token_required
from eventhub.core.errors import NotFound
from eventhub.events import services as event_services
from eventhub.extensions import db
from eventhub.floor import schemas, services, totals
from eventhub.schedule.models import AgendaSession

bp = Blueprint("floor_api", __name__, url_prefix="/api/v1")


@bp.get("/events/<int:event_id>/speaking-times")
@token_required
def event_speaking_times(event_id: int):
    event = event_services.get_event(event_id)
    return schemas.EventSpeakingTotals.model_validate(totals.event_speaking_totals(event)).model_dump(mode="json")


@bp.get("/events/<int:event_id>/sessions/<int:session_id>/speaking-times")
@token_required
def session_speaking_times(event_id: int, session_id: int):
    session = db.session.get(AgendaSession, session_id) if services.valid_id(session_id) else None
    if session is None or session.event_id != event_id:
        raise NotFound("session_not_found", _("No such session in this event."))
    return schemas.SessionSpeakingTotals.model_validate(totals.speaking_totals(session)).model_dump(mode="json")
