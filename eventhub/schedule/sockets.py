"""The green room, live: panelists arriving, seen by the event's organizers and moderators.

A panelist connects with their personal link token in the `auth` payload and is marked arrived (on a day they
speak); staff connect with their session cookie and `watch` an event. Presence is stored in the database, so a
moderator who connects later gets the whole picture in the snapshot.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import ConnectionRefusedError as SocketRefused
from flask_socketio import join_room
from pydantic import BaseModel, ConfigDict, Field

from eventhub.auth.models import Role, User
from eventhub.auth.services import has_role
from eventhub.core import revocations
from eventhub.core.errors import Forbidden, NotFound
from eventhub.core.live import LiveNamespace, attach, emit_after_commit, ok, parse_payload, socket_sid
from eventhub.core.types import utcnow
from eventhub.events.models import Event
from eventhub.extensions import db, socketio
from eventhub.schedule import panelists as pan
from eventhub.schedule.services import MAX_ID

GREEN_ROOM_NS = "/greenroom"

# sid -> ("panelist", panelist id, event id) for connections authenticated by a personal link.
_panelist_sids: dict[str, tuple[int, int]] = {}


# For the sweep: the link each panelist connection opened with; staff: (user, session_version, events watched).
_tokens: dict[str, str] = {}
_watchers: dict[str, tuple[int, int, set[int]]] = {}


def sweep() -> None:
    """A revoked or renewed panelist link, a removed organizer/moderator role or an ended sign-in ends the
    green-room connection within seconds (the link's holder stops being marked present; staff stop seeing it)."""
    for sid, token in list(_tokens.items()):
        if pan.panelist_from_token(token) is None:
            socketio.server.disconnect(sid, namespace=GREEN_ROOM_NS)
    for sid, (user_id, version, event_ids) in list(_watchers.items()):
        user = db.session.get(User, user_id)
        valid = user is not None and user.is_active_account and user.session_version == version
        if not valid or not all(has_role(user, e, Role.ORGANIZER, Role.MODERATOR) for e in event_ids):
            socketio.server.disconnect(sid, namespace=GREEN_ROOM_NS)


def greenroom_room(event_id: int) -> str:
    return f"greenroom:{event_id}"


def panelist_room(panelist_id: int) -> str:
    return f"panelist:{panelist_id}"


def announce_arrival(panelist: pan.Panelist, event: Event, now: datetime) -> None:
    """Mark the panelist arrived (on a day they speak) and tell the green room once the caller commits."""
    if pan.mark_arrived(panelist, event, now=now):
        emit_after_commit("presence", pan.presence_of(panelist, event, now), to=greenroom_room(event.id),
                          namespace=GREEN_ROOM_NS)


class WatchPayload(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    event_id: int = Field(gt=0, le=MAX_ID)


class GreenRoomNamespace(LiveNamespace):
    def on_connect(self, auth: Any = None) -> bool:
        token = auth.get("token") if isinstance(auth, dict) else None
        if isinstance(token, str):
            panelist = pan.panelist_from_token(token)
            if panelist is None:
                message = _("This personal link is no longer valid.")
                raise SocketRefused(message, {"code": "invalid_link", "message": message})
            event = db.session.get_one(Event, panelist.event_id)
            now = utcnow()
            _panelist_sids[socket_sid()] = (panelist.id, event.id)
            _tokens[socket_sid()] = token
            revocations.ensure_running(current_app._get_current_object())  # type: ignore[attr-defined]
            join_room(panelist_room(panelist.id))
            announce_arrival(panelist, event, now)
            return True
        if not current_user.is_authenticated:
            message = _("Sign in to see the green room.")
            raise SocketRefused(message, {"code": "not_signed_in", "message": message})
        return True

    def on_disconnect(self, reason: Any = None) -> None:
        _panelist_sids.pop(socket_sid(), None)
        _tokens.pop(socket_sid(), None)
        _watchers.pop(socket_sid(), None)

    def on_watch(self, payload: Any = None) -> dict:
        """Staff: join an event's green room; the ack carries the snapshot."""
        # Re-read the user in this handler's session: the one Flask-Login cached may belong to an ended session.
        user = db.session.get(User, current_user.id) if current_user.is_authenticated else None
        if socket_sid() in _panelist_sids or user is None or not user.is_active_account:
            raise Forbidden("forbidden", _("Only the event's organizers and moderators see the green room."))
        data = parse_payload(WatchPayload, payload)
        event = db.session.get(Event, data.event_id)
        if event is None:
            raise NotFound("event_not_found", _("No such event."))
        if not has_role(user, event, Role.ORGANIZER, Role.MODERATOR):
            raise Forbidden("not_moderator", _("Only the event's organizers and moderators see the green room."))
        join_room(greenroom_room(event.id))
        watch = _watchers.setdefault(socket_sid(), (user.id, user.session_version, set()))
        watch[2].add(event.id)
        revocations.ensure_running(current_app._get_current_object())  # type: ignore[attr-defined]
        return ok({"event_id": event.id, "sessions": pan.green_room(event)})

    def on_me(self, payload: Any = None) -> dict:
        """Panelist: their own presence (a cheap check that the link-authenticated connection works)."""
        entry = _panelist_sids.get(socket_sid())
        if entry is None:
            raise Forbidden("forbidden", _("Open your personal link first."))
        panelist = db.session.get(pan.Panelist, entry[0])
        event = db.session.get(Event, entry[1])
        if panelist is None or event is None:
            raise NotFound("panelist_not_found", _("This link is no longer valid."))
        return ok(pan.presence_of(panelist, event, utcnow()))


def register(app: Flask) -> None:
    attach(GreenRoomNamespace(GREEN_ROOM_NS))
    revocations.add_sweeper(sweep)
