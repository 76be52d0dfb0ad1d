"""JSON API for rooms and sessions: readable by anyone once the schedule is published, editable with the
event's bearer token (which also sees drafts)."""

from __future__ import annotations

from typing import Literal

from flask import Blueprint
from flask_babel import gettext as _

from eventhub.auth.tokens import bearer_token, token_required
from eventhub.core.apidoc import operation, request_body
from eventhub.core.errors import NotFound
from eventhub.core.timefmt import to_zone
from eventhub.core.urls import external_url
from eventhub.events import services as event_services
from eventhub.events.models import Event, EventStatus
from eventhub.schedule import schemas, services
from eventhub.schedule.models import AgendaSession, Room

bp = Blueprint("schedule_api", __name__, url_prefix="/api/v1")


def room_out(room: Room) -> schemas.RoomOut:
    return schemas.RoomOut(id=room.id, event_id=room.event_id, name=room.name, capacity=room.capacity,
                           has_stream=room.has_stream)


def session_status(session: AgendaSession) -> Literal["draft", "published", "changed", "cancelled"]:
    if session.is_cancelled:
        return "cancelled"
    if not session.is_published:
        return "draft"
    return "changed" if session.changed_at else "published"


def session_out(session: AgendaSession, event: Event) -> schemas.AgendaSessionOut:
    return schemas.AgendaSessionOut(
        id=session.id, event_id=session.event_id, title=session.title, description=session.description,
        kind=session.kind, room_id=session.room_id,
        starts_at=to_zone(session.starts_at, event.timezone), ends_at=to_zone(session.ends_at, event.timezone),
        languages=session.language_list, livestream_url=session.livestream_url, status=session_status(session),
        changed_at=session.changed_at,
        panelists=[schemas.SessionPanelistOut(
            panelist_id=sp.panelist_id, name=sp.panelist.name, title=sp.panelist.title,
            organization=sp.panelist.organization, country=sp.panelist.country, mode=sp.effective_mode,
            timezone=sp.panelist.timezone) for sp in session.panelists],
        moderator_ids=[m.user_id for m in session.moderators],
        url=external_url("schedule.session_page", slug=event.slug, session_id=session.id)
        if session.is_published else None,
    )


def _readable_event(event_id: int) -> tuple[Event, bool]:
    """The event and whether the caller holds its token (then drafts are visible too)."""
    event = services.get_by_id(Event, event_id)
    token = bearer_token()
    owner = token is not None and token.event_id == event_id
    if event is None or (not owner and (event.status == EventStatus.DRAFT or not services.is_published(event))):
        raise NotFound("schedule_not_found", _("This event has no published schedule."))
    return event, owner


# --- rooms ----------------------------------------------------------------------------------------------------

@bp.get("/events/<int:event_id>/rooms")
@operation("listRooms", "Rooms (public once the schedule is published; the event's token sees them always)",
           responses={200: schemas.RoomList}, errors=(404,), security="public_or_token")
def list_rooms(event_id: int):
    event, _owner = _readable_event(event_id)
    return {"items": [room_out(r) for r in services.rooms_of(event)]}


@bp.post("/events/<int:event_id>/rooms")
@operation("createRoom", "Add a room", body=schemas.RoomIn, responses={201: schemas.RoomOut},
           errors=(401, 403, 404, 422), descriptions={201: "Created"})
@token_required
def create_room(event_id: int):
    body: schemas.RoomIn = request_body()
    room = services.create_room(event_services.get_event(event_id), services.RoomData(**body.model_dump()))
    return room_out(room), 201


@bp.patch("/events/<int:event_id>/rooms/<int:room_id>")
@operation("patchRoom", "Edit a room", body=schemas.RoomPatch, responses={200: schemas.RoomOut},
           errors=(401, 403, 404, 422))
@token_required
def patch_room(event_id: int, room_id: int):
    room = services.get_room(event_services.get_event(event_id), room_id)
    patch = request_body().model_dump(exclude_unset=True)
    data = services.RoomData(name=room.name, capacity=room.capacity, has_stream=room.has_stream)
    for name, value in patch.items():
        if value is not None or name == "capacity":
            setattr(data, name, value)
    services.update_room(room, data)
    return room_out(room)


@bp.delete("/events/<int:event_id>/rooms/<int:room_id>")
@operation("deleteRoom", "Delete a room without sessions", responses={204: None}, errors=(401, 403, 404, 409),
           descriptions={204: "Deleted"})
@token_required
def delete_room(event_id: int, room_id: int):
    services.delete_room(services.get_room(event_services.get_event(event_id), room_id))
    return "", 204


# --- sessions -------------------------------------------------------------------------------------------------

@bp.get("/events/<int:event_id>/sessions")
@operation("listSessions", "Sessions (published ones; the event's token also sees drafts)",
           responses={200: schemas.AgendaSessionList}, errors=(404,), security="public_or_token")
def list_sessions(event_id: int):
    event, owner = _readable_event(event_id)
    sessions = services.sessions_of(event, published_only=not owner)
    return {"items": [session_out(s, event) for s in sessions], "published": services.is_published(event)}


@bp.get("/events/<int:event_id>/sessions/<int:session_id>")
@operation("getSession", "One session", responses={200: schemas.AgendaSessionOut}, errors=(404,),
           security="public_or_token")
def get_session(event_id: int, session_id: int):
    event, owner = _readable_event(event_id)
    session = services.get_session(event, session_id)
    if not owner and not session.is_published:
        raise NotFound("session_not_found", _("No such session in this event."))
    return session_out(session, event)


@bp.post("/events/<int:event_id>/sessions")
@operation("createSession", "Add a session (refused on a room or person clash, outside the event, end ≤ start)",
           body=schemas.AgendaSessionIn, responses={201: schemas.AgendaSessionOut}, errors=(401, 403, 404, 409, 422),
           descriptions={201: "Created"})
@token_required
def create_session(event_id: int):
    event = event_services.get_event(event_id)
    body: schemas.AgendaSessionIn = request_body()
    values = body.model_dump()
    values["languages"] = tuple(values["languages"])
    values["panelists"] = [(p["panelist_id"], p.get("mode")) for p in values["panelists"]]
    session = services.create_session(event, services.SessionData(**values))
    return session_out(session, event), 201


@bp.patch("/events/<int:event_id>/sessions/<int:session_id>")
@operation("patchSession", "Edit, move or cancel a session; published sessions show as changed and their "
           "panelists are emailed", body=schemas.AgendaSessionPatch, responses={200: schemas.AgendaSessionOut},
           errors=(401, 403, 404, 409, 422))
@token_required
def patch_session(event_id: int, session_id: int):
    event = event_services.get_event(event_id)
    session = services.get_session(event, session_id)
    patch = request_body().model_dump(exclude_unset=True)
    if patch.pop("cancelled", None):
        services.cancel_session(session)
    if patch:
        data = services.session_data_of(session)
        for name, value in patch.items():
            if value is None and name != "room_id":
                continue
            if name == "languages":
                value = tuple(value)
            elif name == "panelists":
                # exclude_unset drops an omitted `mode` from each item too: it is optional (the panelist's own).
                value = [(p["panelist_id"], p.get("mode")) for p in value]
            setattr(data, name, value)
        services.update_session(session, data)
    return session_out(session, event)


@bp.delete("/events/<int:event_id>/sessions/<int:session_id>")
@operation("deleteSession", "Delete a draft session (published ones are cancelled instead)", responses={204: None},
           errors=(401, 403, 404, 409), descriptions={204: "Deleted"})
@token_required
def delete_session(event_id: int, session_id: int):
    services.delete_session(services.get_session(event_services.get_event(event_id), session_id))
    return "", 204
