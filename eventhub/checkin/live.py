"""Live counters for the organizer dashboard, broadcast on the /checkin namespace after the commit.

A burst of 400 arrivals must not become 400 aggregate queries: changes are coalesced per event, and one
background task computes and emits the counters at most every `CHECKIN_COUNTERS_DELAY` seconds.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app

from eventhub.core.db import on_commit
from eventhub.extensions import db, socketio
from eventhub.signals import checkin_counters_changed

log = logging.getLogger(__name__)
NAMESPACE = "/checkin"
_pending: set[tuple[int, int]] = set()
_lock = threading.Lock()


def event_room(event_id: int) -> str:
    return f"checkin-event-{event_id}"


def counters_changed(event_id: int) -> None:
    """Call inside the transaction that changed check-ins; the broadcast follows its commit."""
    app = current_app._get_current_object()
    on_commit(lambda: schedule_counters(app, event_id))
    checkin_counters_changed.send(event_id)


def schedule_counters(app: Flask, event_id: int) -> None:
    key = (id(app), event_id)
    with _lock:
        if key in _pending:
            return
        _pending.add(key)
    socketio.start_background_task(_emit_later, app, event_id)


def _emit_later(app: Flask, event_id: int) -> None:
    socketio.sleep(app.config.get("CHECKIN_COUNTERS_DELAY", 0.25))
    with _lock:
        _pending.discard((id(app), event_id))
    try:
        with app.app_context():
            emit_counters(event_id)
    except Exception:  # a broadcast must never take a worker down
        log.exception("check-in counters for event %s", event_id)


def emit_counters(event_id: int) -> None:
    from eventhub.checkin.queries import counters
    from eventhub.events.models import Event

    try:
        event = db.session.get(Event, event_id)
        if event is None:
            return
        data = counters(event)
    finally:
        db.session.remove()
    socketio.emit("counters", data, to=event_room(event_id), namespace=NAMESPACE)
