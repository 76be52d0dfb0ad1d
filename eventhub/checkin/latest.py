"""The check-in dashboard's "latest check-ins" and "latest scans", in the reader's language, as JSON for the page's
live refresh (static/js/checkin-latest.js refetches whenever the live counters change)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, url_for
from flask_babel import gettext as _

from eventhub.auth.models import Role
from eventhub.auth.permissions import event_role_required
from eventhub.checkin import queries
from eventhub.checkin.models import CheckIn, Scan
from eventhub.checkin.services import result_message
from eventhub.core.errors_web import json_blueprint
from eventhub.core.timefmt import format_in_zone
from eventhub.events.models import Event

bp = json_blueprint(Blueprint("checkin_latest", __name__))


@bp.app_template_global("scan_result")
def scan_result(code: str, detail: str = "") -> str:
    """A scan's result in words (`already_checked_in` → « Déjà entré »), never the code."""
    return result_message(code, detail)


def checkin_row(c: CheckIn, event: Event) -> dict[str, Any]:
    return {"id": c.id, "when": format_in_zone(c.admitted_at, event.timezone, "short")
            + (f" ({_('offline')})" if c.offline else ""), "name": c.registration.name, "point": c.point.name,
            "by": c.by.name if c.by else "", "undone": c.undone_at is not None,
            "undone_at": format_in_zone(c.undone_at, event.timezone, "time") if c.undone_at else "",
            "undo_url": url_for("checkin.undo", event_id=event.id, checkin_id=c.id)}


def scan_row(s: Scan, event: Event) -> dict[str, Any]:
    return {"id": s.id, "when": format_in_zone(s.scanned_at, event.timezone, "short")
            + (f" ({_('offline')})" if s.offline else ""), "result": s.result,
            "label": scan_result(s.result, s.detail), "double_entry": s.double_entry,
            "name": s.registration.name if s.registration else s.code_prefix, "point": s.point.name,
            "by": s.by.name if s.by else ""}


@bp.get("/manage/events/<int:event_id>/checkin/latest")
@event_role_required(Role.ORGANIZER)
def latest(event_id: int):
    event: Event = g.event
    return {"checkins": [checkin_row(c, event) for c in queries.live_checkins(event, limit=100)],
            "scans": [scan_row(s, event) for s in queries.log(event, limit=50)]}, 200, {"Cache-Control": "no-store"}
