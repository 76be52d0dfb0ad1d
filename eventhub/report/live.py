"""Broadcasting the dashboard on /report after a commit, coalesced per event (a burst of 400 arrivals or
questions becomes one snapshot every `REPORT_DASHBOARD_DELAY` seconds, as check-in's counters do)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask, current_app

from eventhub.core import shared
from eventhub.core.db import on_commit
from eventhub.events.models import Event
from eventhub.extensions import db, socketio
from eventhub.report import dashboard
from eventhub.schedule.models import AgendaSession

log = logging.getLogger(__name__)
NAMESPACE = "/report"
_pending: set[tuple[int, int]] = set()
_lock = threading.Lock()


def dashboard_room(event_id: int) -> str:
    return f"report-dashboard-{event_id}"


def dashboard_changed(event_id: int) -> None:
    """Call inside the transaction that changed what the dashboard shows; the snapshot follows its commit."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    on_commit(lambda: schedule(app, event_id))


def schedule(app: Flask, event_id: int) -> None:
    key = (id(app), event_id)
    with _lock:
        if key in _pending:
            return
        _pending.add(key)
    socketio.start_background_task(_emit_later, app, event_id)


def _emit_later(app: Flask, event_id: int) -> None:
    delay = app.config["REPORT_DASHBOARD_DELAY"]
    socketio.sleep(delay)
    with _lock:
        _pending.discard((id(app), event_id))
    if not shared.has_audience(app, NAMESPACE, dashboard_room(event_id)):
        return  # nobody is watching: who opens the dashboard gets a fresh snapshot from `join`
    if not shared.claim_turn(app, f"report-dashboard:{event_id}", delay):
        schedule(app, event_id)  # another process sends this period's snapshot; the latest change goes next period
        return
    try:
        with app.app_context():
            emit_snapshot(event_id)
    except Exception:  # a broadcast must never take a worker down
        log.exception("report dashboard for event %s", event_id)


def emit_snapshot(event_id: int) -> None:
    try:
        event = db.session.get(Event, event_id)
        if event is None:
            return
        data = dashboard.snapshot(event)
    finally:
        db.session.remove()
    socketio.emit("dashboard", data, to=dashboard_room(event_id), namespace=NAMESPACE)


# --- receivers (connected in eventhub.report.register) ---------------------------------------------------------

def on_checkin_changed(event_id: int, **_kw: Any) -> None:
    dashboard_changed(event_id)


def on_qa_activity(session_id: int, **_kw: Any) -> None:
    event_id = db.session.scalar(db.select(AgendaSession.event_id).where(AgendaSession.id == session_id))
    if event_id is not None:
        dashboard_changed(event_id)
