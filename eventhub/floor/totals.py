"""Speaking times per speaker and per delegation, for the console, the organizers' API and the final report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventhub.core.types import utcnow
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.floor.models import Delegation, Speech
from eventhub.schedule.models import AgendaSession


def _r(value: float) -> float:
    return round(value, 1)


def speech_record(sp: Speech, now: datetime) -> dict[str, Any]:
    elapsed = sp.elapsed(now)
    return {"id": sp.id, "speaker_id": sp.speaker_id, "panelist_id": sp.panelist_id, "name": sp.name,
            "kind": sp.kind.value, "delegation": sp.delegation_name or None, "started_at": sp.started_at.isoformat(),
            "ended_at": sp.ended_at.isoformat() if sp.ended_at else None,
            "paused_seconds": _r(sp.total_pause(now)), "duration_seconds": _r(elapsed),
            "budget_seconds": sp.budget_seconds,
            "overtime_seconds": _r(max(0.0, elapsed - sp.budget_seconds)) if sp.budget_seconds else 0.0,
            "interjection": sp.interrupted_id is not None}


def _speaker_key(sp: Speech) -> str:
    if sp.panelist_id is not None:
        return f"p:{sp.panelist_id}"
    if sp.speaker_id is not None:
        return f"s:{sp.speaker_id}"
    return f"n:{sp.name}"


def _aggregate(records: list[dict[str, Any]], keys: list[str]) -> tuple[list[dict], list[dict]]:
    speakers: dict[str, dict[str, Any]] = {}
    delegations: dict[str, dict[str, Any]] = {}
    for key, rec in zip(keys, records, strict=True):
        s = speakers.setdefault(key, {"name": rec["name"], "panelist_id": rec["panelist_id"], "kind": rec["kind"],
                                      "delegation": rec["delegation"], "speeches": 0, "seconds": 0.0,
                                      "paused_seconds": 0.0, "overtime_seconds": 0.0})
        s["speeches"] += 1
        for field in ("seconds", "paused_seconds", "overtime_seconds"):
            s[field] = _r(s[field] + rec["duration_seconds" if field == "seconds" else field])
        name = rec["delegation"]
        if name:
            d = delegations.setdefault(name, {"name": name, "speeches": 0, "seconds": 0.0})
            d["speeches"] += 1
            d["seconds"] = _r(d["seconds"] + rec["duration_seconds"])
    return (sorted(speakers.values(), key=lambda s: (-s["seconds"], s["name"])),
            sorted(delegations.values(), key=lambda d: d["name"]))


def speaking_totals(session: AgendaSession, *, now: datetime | None = None) -> dict[str, Any]:
    """Every speech of the session and the totals per speaker and per delegation (open speeches count so far)."""
    now = now or utcnow()
    speeches = list(db.session.scalars(db.select(Speech).where(Speech.session_id == session.id)
                                       .order_by(Speech.started_at, Speech.id)))
    records = [speech_record(sp, now) for sp in speeches]
    speakers, delegations = _aggregate(records, [_speaker_key(sp) for sp in speeches])
    budgets = {d.name: d for d in db.session.scalars(db.select(Delegation).where(Delegation.session_id == session.id))}
    for name in budgets:
        if name not in {x["name"] for x in delegations}:
            delegations.append({"name": name, "speeches": 0, "seconds": 0.0})
    for d in delegations:
        row = budgets.get(d["name"])
        d["country"] = (row.country or None) if row else None
        d["budget_seconds"] = row.budget_seconds if row else None
    delegations.sort(key=lambda d: d["name"])
    return {"session_id": session.id, "title": session.title, "speeches": records, "speakers": speakers,
            "delegations": delegations, "total_seconds": _r(sum(r["duration_seconds"] for r in records))}


def event_speaking_totals(event: Event, *, now: datetime | None = None) -> dict[str, Any]:
    """Per session, and for the whole event: per speaker (a panelist across sessions is one line) and delegation."""
    now = now or utcnow()
    sessions = list(db.session.scalars(db.select(AgendaSession).where(AgendaSession.event_id == event.id)
                                       .order_by(AgendaSession.starts_at, AgendaSession.id)))
    per_session = [speaking_totals(s, now=now) for s in sessions]
    per_session = [t for t in per_session if t["speeches"] or t["delegations"]]
    speeches = list(db.session.scalars(db.select(Speech).join(AgendaSession, AgendaSession.id == Speech.session_id)
                                       .where(AgendaSession.event_id == event.id)
                                       .order_by(Speech.started_at, Speech.id)))
    records = [speech_record(sp, now) for sp in speeches]
    speakers, delegations = _aggregate(records, [_speaker_key(sp) for sp in speeches])
    return {"event_id": event.id, "sessions": per_session, "speakers": speakers, "delegations": delegations,
            "total_seconds": _r(sum(r["duration_seconds"] for r in records))}
