"""/checkin namespace: live counters for organizers and door staff, and scanning over the socket.

who (the session cookie's user, on connect) → may they (organizer or door staff of the event) → payload
schema → service → commit → counters broadcast after the commit → ack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import ConnectionRefusedError as SocketRefused
from flask_socketio import join_room

from eventhub.auth.models import Role, User
from eventhub.auth.services import has_role
from eventhub.checkin import live, queries, schemas, services
from eventhub.checkin.live import NAMESPACE, event_room
from eventhub.core import revocations
from eventhub.core.errors import Forbidden, NotFound
from eventhub.core.live import LiveNamespace, attach, ok, parse_payload, socket_sid
from eventhub.events.models import Event
from eventhub.extensions import db, socketio

ROLES = (Role.ORGANIZER, Role.DOOR_STAFF)


@dataclass
class _Watch:
    user_id: int
    session_version: int
    event_ids: set[int]


# Per process: who each connection is and which events' counters it receives (for the sweep).
_conns: dict[str, _Watch] = {}


def sweep() -> None:
    """Door staff whose role was removed, or whose sign-in ended, stop receiving the counters within seconds."""
    for sid, watch in list(_conns.items()):
        user = db.session.get(User, watch.user_id)
        valid = user is not None and user.is_active_account and user.session_version == watch.session_version
        if not valid or not all(has_role(user, e, *ROLES) for e in watch.event_ids):
            socketio.server.disconnect(sid, namespace=NAMESPACE)



def _refuse(code: str, message: str) -> SocketRefused:
    """A refusal the client can read: its `connect_error` data is `{"code", "message"}`."""
    return SocketRefused(message, {"code": code, "message": message})


def _event_for(event_id: int) -> Event:
    event = db.session.get(Event, event_id) if services.valid_id(event_id) else None
    if event is None:
        raise NotFound("event_not_found", _("No such event."))
    if not has_role(current_user, event, *ROLES):
        raise Forbidden("forbidden", _("Only door staff and organizers of this event may do this."))
    return event


class CheckInNamespace(LiveNamespace):
    def on_connect(self, auth: Any = None) -> bool:
        """Signed in (session cookie) and organizer or door staff of the event named in `auth`; else refused."""
        event_id = auth.get("event_id") if isinstance(auth, dict) else None
        if not current_user.is_authenticated:
            raise _refuse("not_signed_in", _("Sign in to follow the check-in."))
        if not isinstance(event_id, int) or isinstance(event_id, bool):
            raise _refuse("invalid_payload", _("Say which event to follow."))
        try:
            event = _event_for(event_id)
        except (NotFound, Forbidden) as exc:
            raise _refuse(exc.code, str(exc.message)) from None
        join_room(event_room(event.id))
        _conns[socket_sid()] = _Watch(current_user.id, current_user.session_version, {event.id})
        revocations.ensure_running(current_app._get_current_object())  # type: ignore[attr-defined]
        return True

    def on_disconnect(self, reason: Any = None) -> None:
        _conns.pop(socket_sid(), None)

    def on_join(self, payload: Any = None) -> dict:
        data = parse_payload(schemas.SocketJoinIn, payload)
        event = _event_for(data.event_id)
        join_room(event_room(event.id))
        if socket_sid() in _conns:
            _conns[socket_sid()].event_ids.add(event.id)
        return ok(queries.counters(event))  # the snapshot: clients replace their state with it

    def on_scan(self, payload: Any = None) -> dict:
        data = parse_payload(schemas.SocketScanIn, payload)
        event = _event_for(data.event_id)
        point = services.get_point(event, data.point_id)
        result = services.check_in(data.code, by=current_user, point=point, nonce=data.nonce,
                                   device_id=data.device_id or "socket")
        return ok(result.to_dict())



def register(app: Flask) -> None:
    attach(CheckInNamespace(NAMESPACE))
    live.register(app)
    revocations.add_sweeper(sweep)
