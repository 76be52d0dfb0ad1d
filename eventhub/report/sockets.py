"""/report namespace: the live dashboard, for the event's organizers (session cookie) or a read-only share link.

who (cookie user or share token, on connect) → may they (organizer of the event, or a live share of it) →
join the event's room → snapshot in the ack; later snapshots arrive as `dashboard` after each commit.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import join_room

from eventhub.auth.models import Role
from eventhub.auth.services import has_role
from eventhub.core.errors import Forbidden
from eventhub.core.live import LiveNamespace, ok
from eventhub.events.models import Event
from eventhub.extensions import db, socketio
from eventhub.report import dashboard, services
from eventhub.report.live import NAMESPACE, dashboard_room
from eventhub.report.models import DashboardShare

_conns: dict[str, tuple[int, int | None]] = {}  # sid → (the one event it may watch, the share link it used)


def _allowed(auth: Any) -> tuple[Event, int | None] | None:
    auth = auth if isinstance(auth, dict) else {}
    if "share" in auth:
        share = services.share_from_token(auth["share"])
        event = db.session.get(Event, share.event_id) if share is not None else None
        return (event, share.id) if event is not None and share is not None else None
    event_id = auth.get("event_id")
    if not services.valid_id(event_id) or not current_user.is_authenticated:
        return None
    event = db.session.get(Event, event_id)
    if event is None or not has_role(current_user, event, Role.ORGANIZER):
        return None
    return event, None


def drop_share(share_id: int) -> None:
    """A revoked link stops at once: its connections are closed (this process's; others refuse the next join).

    Called after the commit; the disconnects run in a background task, outside the committing session (the
    disconnect handler ends the database session)."""
    sids = [sid for sid, (_event_id, used) in list(_conns.items()) if used == share_id]
    if sids:
        socketio.start_background_task(_disconnect, sids)


def _disconnect(sids: list[str]) -> None:
    for sid in sids:
        socketio.server.disconnect(sid, namespace=NAMESPACE)


class ReportNamespace(LiveNamespace):
    def on_connect(self, auth: Any = None) -> bool:
        allowed = _allowed(auth)
        if allowed is None:
            return False
        event, share_id = allowed
        _conns[request.sid] = (event.id, share_id)  # type: ignore[attr-defined]
        join_room(dashboard_room(event.id))
        return True

    def on_disconnect(self, reason: Any = None) -> None:
        _conns.pop(request.sid, None)  # type: ignore[attr-defined]

    def on_join(self, payload: Any = None) -> dict:
        """The snapshot (clients replace their state with it); also how a page refreshes its coarse counts."""
        event_id, share_id = _conns.get(request.sid, (None, None))  # type: ignore[attr-defined,arg-type]
        event = db.session.get(Event, event_id) if event_id is not None else None
        share = db.session.get(DashboardShare, share_id) if share_id is not None else None
        if event is None or (share_id is not None and (share is None or share.revoked_at is not None)):
            raise Forbidden("forbidden", _("This dashboard link is no longer valid."))
        return ok(dashboard.snapshot(event))
