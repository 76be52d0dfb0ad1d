"""Room names, JSON views of the stage and its participants, the per-stage sequence number and broadcast log.

As in the Q&A: a change is recorded in the same transaction as the change (seq bumped with a conditional UPDATE on
the stage row, the message stored in `stage_broadcasts`) and emitted once the commit succeeded.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from eventhub.core.live import emit_after_commit
from eventhub.extensions import db
from eventhub.stage.models import ParticipantState, Stage, StageBroadcast, StageParticipant

NAMESPACE = "/stage"
REPLAY_LIMIT = 500
_MANAGER_ONLY = ("quality", "reported_at")  # the connection state is public: the screen pre-subscribes


def stage_room(session_id: int) -> str:
    """Everyone watching the stage: screen, attendees, panelists, room feed."""
    return f"stage:{session_id}"


def managers_room(session_id: int) -> str:
    return f"stage:{session_id}:mgr"


def participant_room(session_id: int, participant_id: int) -> str:
    return f"stage:{session_id}:p:{participant_id}"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def participant_view(p: StageParticipant, panelist: Any = None) -> dict[str, Any]:
    """The managers' view; `public_participant` strips the quality figures."""
    return {
        "id": p.id, "role": p.role.value, "feed_id": p.feed_id, "display": p.display,
        "panelist_id": p.panelist_id, "state": p.state.value, "muted": p.muted, "self_muted": p.self_muted,
        "screen_share_allowed": p.screen_share_allowed, "hand_id": p.hand_id, "video_allowed": p.video_allowed,
        "title": getattr(panelist, "title", "") or "", "country": getattr(panelist, "country", "") or "",
        "organization": getattr(panelist, "organization", "") or "",
        "connection": p.connection, "quality": p.quality or {}, "reported_at": _iso(p.reported_at),
    }


def public_participant(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k not in _MANAGER_ONLY}


def stage_view(stage: Stage) -> dict[str, Any]:
    return {"id": stage.id, "session_id": stage.session_id, "state": stage.state.value,
            "spotlight_id": stage.spotlight_id, "show_question": stage.show_question,
            "janus_room_id": stage.janus_room_id, "live_at": _iso(stage.live_at), "ended_at": _iso(stage.ended_at)}


def next_seq(stage_id: int) -> int:
    db.session.execute(update(Stage).where(Stage.id == stage_id).values(seq=Stage.seq + 1)
                       .execution_options(synchronize_session=False))
    return db.session.scalar(db.select(Stage.seq).where(Stage.id == stage_id))


def current_seq(stage_id: int) -> int:
    return db.session.scalar(db.select(Stage.seq).where(Stage.id == stage_id)) or 0


def _record(stage: Stage, kind: str, obj: dict[str, Any], *, public: bool) -> None:
    seq = next_seq(stage.id)
    message = {"session_id": stage.session_id, "seq": seq, "kind": kind, kind: obj}
    db.session.add(StageBroadcast(stage_id=stage.id, seq=seq, audience="public" if public else "managers",
                                  payload=message))
    emit_after_commit("stage", message, to=managers_room(stage.session_id), namespace=NAMESPACE)
    if public:
        emit_after_commit("stage", viewer_copy(message), to=stage_room(stage.session_id), namespace=NAMESPACE)


def viewer_copy(message: dict[str, Any]) -> dict[str, Any]:
    if message["kind"] == "participant":
        return {**message, "participant": public_participant(message["participant"])}
    return message


def record_stage(stage: Stage) -> None:
    db.session.flush()
    _record(stage, "stage", stage_view(stage), public=True)


def record_participant(stage: Stage, p: StageParticipant, panelist: Any = None, *, public: bool = True) -> None:
    """`public=False` for connection/quality reports: only managers need them."""
    db.session.flush()
    _record(stage, "participant", participant_view(p, panelist), public=public)


def missed(stage: Stage, since: int, *, manager: bool) -> list[dict[str, Any]] | None:
    seq = current_seq(stage.id)
    if since > seq or seq - since > REPLAY_LIMIT:
        return None
    rows = db.session.scalars(db.select(StageBroadcast).where(StageBroadcast.stage_id == stage.id,
                                                              StageBroadcast.seq > since)
                              .order_by(StageBroadcast.seq))
    if manager:
        return [row.payload for row in rows]
    return [viewer_copy(row.payload) for row in rows if row.audience == "public"]


def visible(p: StageParticipant) -> bool:
    return p.state != ParticipantState.REMOVED


def emit_quality(stage: Stage, view: dict[str, Any]) -> None:
    """Figures that change every few seconds: to the managers, not numbered (the next report replaces them)."""
    emit_after_commit("stage_quality", {"session_id": stage.session_id, "participant": view},
                      to=managers_room(stage.session_id), namespace=NAMESPACE)
