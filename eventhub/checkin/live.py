"""Live counters for the organizer dashboard, broadcast on the /checkin namespace after the commit.

A burst of 400 arrivals must not become 400 aggregate queries: changes mark their event, and one background
loop (`CountersLoop`, registered by `eventhub.checkin.sockets.register`) computes and emits each marked event's
counters at most every `CHECKIN_COUNTERS_DELAY` seconds. Check-ins announce themselves with the
`checkins_changed` signal (eventhub/signals.py), so the services need not import this module.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, current_app

from eventhub.checkin.queries import counters
from eventhub.core import shared
from eventhub.core.db import on_commit
from eventhub.core.loops import BackgroundLoop, get_loop, register_loop
from eventhub.events.models import Event
from eventhub.extensions import db, socketio
from eventhub.signals import checkin_counters_changed, checkins_changed

NAMESPACE = "/checkin"


def event_room(event_id: int) -> str:
    return f"checkin-event-{event_id}"


class CountersLoop(BackgroundLoop):
    name = "checkin.counters"
    interval_key = "CHECKIN_COUNTERS_DELAY"
    default_interval = 0.25

    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        self._marks = threading.Lock()
        self._pending: set[int] = set()

    def mark(self, event_id: int) -> None:
        with self._marks:
            self._pending.add(event_id)

    def clear(self) -> None:
        with self._marks:
            self._pending = set()

    def drain(self) -> int:
        with self._marks:
            pending, self._pending = self._pending, set()
        for event_id in sorted(pending):
            # No listener anywhere: the aggregate queries (the door's largest fixed cost) are skipped.
            if not shared.has_audience(self.app, NAMESPACE, event_room(event_id)):
                continue
            if shared.claim_turn(self.app, f"checkin-counters:{event_id}", self.interval):
                emit_counters(self.app, event_id)
            else:  # another process computes this period's counters; the latest change is counted next period
                self.mark(event_id)
        return len(pending)


def emit_counters(app: Flask, event_id: int) -> None:
    with app.app_context():
        try:
            event = db.session.get(Event, event_id)
            if event is None:
                return
            data = counters(event)
        finally:
            db.session.remove()
    socketio.emit("counters", data, to=event_room(event_id), namespace=NAMESPACE)


def counters_changed(event_id: int) -> None:
    """Call inside the transaction that changed check-ins; the broadcast follows its commit."""
    loop = get_loop(current_app, CountersLoop.name)
    assert isinstance(loop, CountersLoop)
    on_commit(lambda: loop.mark(event_id))
    checkin_counters_changed.send(event_id)


def _on_checkins_changed(event_id: int, **_kw: Any) -> None:
    counters_changed(event_id)


def register(app: Flask) -> None:
    register_loop(app, CountersLoop(app))
    checkins_changed.connect(_on_checkins_changed)
