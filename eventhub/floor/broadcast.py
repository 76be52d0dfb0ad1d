"""Room names, JSON views, the per-session sequence number and the broadcast log of the floor.

Like the Q&A (eventhub/qa/broadcast.py): a change is recorded in the same transaction as the change itself (seq
bumped with a conditional UPDATE on the session's `floor_settings` row, the message stored in `floor_broadcasts`)
and emitted once the commit succeeded. "floor" messages carry the whole state of the session's floor (list,
open speeches, delegations' use of their budgets), so a client that missed some only needs the last one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update

from eventhub.core.live import emit_after_commit
from eventhub.core.types import utcnow
from eventhub.extensions import db
from eventhub.floor.models import (
    Delegation,
    FloorBroadcast,
    FloorSettings,
    Hand,
    HandStatus,
    Speaker,
    SpeakerState,
    Speech,
)

NAMESPACE = "/floor"
REPLAY_LIMIT = 500


# --- rooms ----------------------------------------------------------------------------------------------------

def session_room(session_id: int) -> str:
    return f"floor:{session_id}"


def moderators_room(session_id: int) -> str:
    return f"floor:{session_id}:mod"


def participant_room(session_id: int, key: str) -> str:
    return f"floor:{session_id}:p:{key}"


# --- views ----------------------------------------------------------------------------------------------------

def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def speaker_view(s: Speaker) -> dict[str, Any]:
    return {"id": s.id, "session_id": s.session_id, "position": s.position, "kind": s.kind.value,
            "panelist_id": s.panelist_id, "name": s.name, "remote": s.remote, "video_allowed": s.video_allowed,
            "delegation_id": s.delegation_id, "budget_seconds": s.budget_seconds, "state": s.state.value,
            "hand_id": s.hand_id}


def speech_view(sp: Speech, now: datetime) -> dict[str, Any]:
    return {"id": sp.id, "session_id": sp.session_id, "speaker_id": sp.speaker_id, "panelist_id": sp.panelist_id,
            "name": sp.name, "kind": sp.kind.value, "delegation_id": sp.delegation_id,
            "delegation": sp.delegation_name or None, "budget_seconds": sp.budget_seconds,
            "started_at": _iso(sp.started_at), "ended_at": _iso(sp.ended_at), "paused_at": _iso(sp.paused_at),
            "paused_seconds": round(sp.paused_seconds, 3), "interrupted_id": sp.interrupted_id,
            "elapsed_seconds": round(sp.elapsed(now), 3)}


def hand_view(h: Hand) -> dict[str, Any]:
    return {"id": h.id, "session_id": h.session_id, "name": h.name, "topic": h.topic, "remote": h.remote,
            "status": h.status.value, "video_allowed": h.video_allowed, "created_at": _iso(h.created_at),
            "decided_at": _iso(h.decided_at)}


def settings_view(settings: FloorSettings) -> dict[str, Any]:
    return {"default_budget_seconds": settings.default_budget_seconds,
            "show_timer_on_screen": settings.show_timer_on_screen, "hands_open": settings.hands_open}


def state_view(session_id: int, now: datetime | None = None) -> dict[str, Any]:
    """Everything every screen of the floor shows: no personal data beyond the speakers' names."""
    now = now or utcnow()
    settings = db.session.get(FloorSettings, session_id)
    speakers = db.session.scalars(db.select(Speaker).where(Speaker.session_id == session_id)
                                  .order_by(Speaker.position, Speaker.id)).all()
    speeches = db.session.scalars(db.select(Speech).where(Speech.session_id == session_id)).all()
    delegations = db.session.scalars(db.select(Delegation).where(Delegation.session_id == session_id)
                                     .order_by(Delegation.name)).all()
    open_speeches = [sp for sp in speeches if sp.ended_at is None]
    running = next((sp for sp in open_speeches if sp.paused_at is None), None)
    used: dict[int, float] = {}
    for sp in speeches:
        if sp.delegation_id is not None:
            used[sp.delegation_id] = used.get(sp.delegation_id, 0.0) + sp.elapsed(now)
    return {
        "settings": settings_view(settings) if settings else None,
        "speakers": [speaker_view(s) for s in speakers if s.state != SpeakerState.DONE],
        "done": [speaker_view(s) for s in speakers if s.state == SpeakerState.DONE],
        "current": speech_view(running, now) if running else None,
        "paused": [speech_view(sp, now) for sp in open_speeches if sp.paused_at is not None],
        "delegations": [{"id": d.id, "name": d.name, "country": d.country or None, "budget_seconds": d.budget_seconds,
                         "used_seconds": round(used.get(d.id, 0.0), 3)} for d in delegations],
        "as_of": now.isoformat(),
    }


def pending_hands(session_id: int) -> list[dict[str, Any]]:
    rows = db.session.scalars(db.select(Hand).where(Hand.session_id == session_id,
                                                    Hand.status == HandStatus.PENDING).order_by(Hand.id))
    return [hand_view(h) for h in rows]


def own_hands(session_id: int, key: str) -> list[dict[str, Any]]:
    rows = db.session.scalars(db.select(Hand).where(Hand.session_id == session_id, Hand.participant_key == key)
                              .order_by(Hand.id.desc()).limit(5))
    return [{**hand_view(h), "mine": True} for h in rows]


# --- sequence and log -----------------------------------------------------------------------------------------

def next_seq(session_id: int) -> int:
    """Atomic on PostgreSQL (the UPDATE locks the row until commit) and SQLite (one writer)."""
    db.session.execute(update(FloorSettings).where(FloorSettings.session_id == session_id)
                       .values(seq=FloorSettings.seq + 1).execution_options(synchronize_session=False))
    return db.session.scalar(db.select(FloorSettings.seq).where(FloorSettings.session_id == session_id))


def current_seq(session_id: int) -> int:
    return db.session.scalar(db.select(FloorSettings.seq).where(FloorSettings.session_id == session_id)) or 0


def _record(session_id: int, kind: str, obj: dict[str, Any], *, participant_key: str | None = None) -> None:
    seq = next_seq(session_id)
    message = {"session_id": session_id, "seq": seq, "kind": kind, kind: obj}
    public = participant_key is None
    db.session.add(FloorBroadcast(session_id=session_id, seq=seq, audience="public" if public else "private",
                                  participant_key=participant_key, payload=message))
    if public:
        emit_after_commit("floor", message, to=session_room(session_id), namespace=NAMESPACE)
        emit_after_commit("floor", message, to=moderators_room(session_id), namespace=NAMESPACE)
    elif participant_key is not None:
        emit_after_commit("floor", message, to=moderators_room(session_id), namespace=NAMESPACE)
        mine = {**message, kind: {**obj, "mine": True}}
        emit_after_commit("floor", mine, to=participant_room(session_id, participant_key), namespace=NAMESPACE)


def record_state(session_id: int) -> None:
    db.session.flush()
    _record(session_id, "state", state_view(session_id))


def record_hand(hand: Hand) -> None:
    db.session.flush()
    _record(hand.session_id, "hand", hand_view(hand), participant_key=hand.participant_key)


def missed(session_id: int, since: int, *, moderator: bool, key: str | None) -> list[dict[str, Any]] | None:
    """The messages after `since` this viewer may see, or None when a snapshot is needed instead."""
    seq = current_seq(session_id)
    if since > seq or seq - since > REPLAY_LIMIT:
        return None
    rows = db.session.scalars(db.select(FloorBroadcast).where(FloorBroadcast.session_id == session_id,
                                                              FloorBroadcast.seq > since)
                              .order_by(FloorBroadcast.seq))
    out = []
    for row in rows:
        if moderator or row.audience == "public":
            out.append(row.payload)
        elif key is not None and row.participant_key == key:
            kind = row.payload["kind"]
            out.append({**row.payload, kind: {**row.payload[kind], "mine": True}})
    return out
