"""The floor's part of the final report and of the live dashboard, through the report's signals.

The report never imports the floor: it sends `report_collect` / `dashboard_collect` and shows what comes back.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from eventhub.core.types import utcnow
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.floor.models import Speech
from eventhub.floor.totals import speaking_totals
from eventhub.schedule.models import AgendaSession


def _minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def report_sections(event: Event, session_ids: list[int] | None = None, **_kw: Any) -> list[dict[str, Any]]:
    """Speaking time per delegation and per speaker, one pair of sections per session that had speeches."""
    ids = list(session_ids or [])
    if not ids:
        return []
    # Only sessions that had speeches (one query), so the report's query count does not grow with the others.
    spoken = db.select(Speech.session_id).where(Speech.session_id.in_(ids)).distinct()
    sessions = db.session.scalars(db.select(AgendaSession).where(AgendaSession.id.in_(spoken))
                                  .order_by(AgendaSession.starts_at, AgendaSession.id))
    out: list[dict[str, Any]] = []
    now = utcnow()
    for session in sessions:
        totals = speaking_totals(session, now=now)
        if not totals["speeches"]:
            continue
        out.append({"key": "speaking_time", "session_id": session.id, "title": _("Speaking time per delegation"),
                    "columns": [_("Delegation"), _("Speeches"), _("Time (min:s)"), _("Budget (min:s)")],
                    "rows": [[d["name"], d["speeches"], _minutes(d["seconds"]),
                              _minutes(d["budget_seconds"]) if d.get("budget_seconds") else "—"]
                             for d in totals["delegations"]]})
        out.append({"key": "speaking_time_speakers", "session_id": session.id,
                    "title": _("Speaking time per speaker"),
                    "columns": [_("Speaker"), _("Delegation"), _("Speeches"), _("Time (min:s)"),
                                _("Overtime (min:s)")],
                    "rows": [[s["name"], s["delegation"] or "—", s["speeches"], _minutes(s["seconds"]),
                              _minutes(s["overtime_seconds"])] for s in totals["speakers"]]})
    return out


def dashboard_rows(event: Event, **_kw: Any) -> list[dict[str, Any]]:
    """Who has the floor now in each session of the event, and their time left (one query)."""
    now = utcnow()
    rows: list[list[str | int]] = []
    running = db.session.execute(
        db.select(Speech, AgendaSession.title).join(AgendaSession, AgendaSession.id == Speech.session_id)
        .where(AgendaSession.event_id == event.id, Speech.ended_at.is_(None))
        .order_by(AgendaSession.starts_at)).all()
    for speech, title in running:
        elapsed = speech.elapsed(now)
        left = (speech.budget_seconds - elapsed) if speech.budget_seconds else None
        rows.append([title, speech.name, speech.delegation_name or "—",
                     (_minutes(left) if left >= 0 else "-" + _minutes(-left)) if left is not None else "—"])
    if not rows:
        return []
    return [{"key": "floor_now", "title": _("Who has the floor"), "rows": rows}]
