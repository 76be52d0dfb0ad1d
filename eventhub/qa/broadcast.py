"""Room names, the JSON views of questions/polls/settings, the per-session sequence number and the broadcast log.

A change is recorded here in the same transaction as the change itself (seq bumped with a conditional UPDATE on
the session's `qa_settings` row, the message stored in `qa_broadcasts`) and emitted once the commit succeeded,
through `socketio.emit` so it crosses processes when a message queue is configured.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from eventhub.core.live import emit_after_commit
from eventhub.extensions import db
from eventhub.qa.models import Poll, PollStatus, QaBroadcast, QaSettings, Question
from eventhub.signals import qa_activity

NAMESPACE = "/qa"
REPLAY_LIMIT = 500  # a client further behind than this gets a snapshot instead of the missed messages

# Keys only moderators see; the author also sees why their question was rejected.
_MOD_ONLY = ("author_name", "identity", "reject_reason", "source", "busy_source")
_AUTHOR_HIDDEN = ("author_name", "identity", "source", "busy_source")


# --- rooms ----------------------------------------------------------------------------------------------------

def session_room(session_id: int) -> str:
    return f"qa:{session_id}"


def moderators_room(session_id: int) -> str:
    return f"qa:{session_id}:mod"


def panelist_room(session_id: int, panelist_id: int) -> str:
    return f"qa:{session_id}:panel:{panelist_id}"


def participant_room(session_id: int, key: str) -> str:
    return f"qa:{session_id}:p:{key}"


# --- views ----------------------------------------------------------------------------------------------------

def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def question_view(q: Question) -> dict[str, Any]:
    """The moderators' view (a superset); `public_question` and `author_question` strip it."""
    identity = q.author_key.split(":", 1)[0]
    return {
        "id": q.id, "session_id": q.session_id, "text": q.text,
        "author": None if q.anonymous else (q.author_name or None),
        "author_name": q.author_name or None, "anonymous": q.anonymous,
        "identity": {"r": "ticket", "u": "user", "a": "anonymous"}.get(identity, identity),
        "status": q.status.value, "pinned": q.pinned, "votes": q.votes,
        "addressed_to": q.addressed_to_id, "merged_into": q.merged_into_id,
        "reject_reason": q.reject_reason or None, "edited": q.edited_at is not None,
        "created_at": _iso(q.created_at), "answered_at": _iso(q.answered_at),
        "source": q.source, "busy_source": q.busy_source,
    }


def public_question(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k not in _MOD_ONLY}


def author_question(view: dict[str, Any]) -> dict[str, Any]:
    out = {**{k: v for k, v in view.items() if k not in _AUTHOR_HIDDEN}, "mine": True}
    if view.get("merged_into"):
        # The author of a merged duplicate is told which question now carries it (ids alone mean nothing to them).
        target = db.session.get(Question, view["merged_into"])
        out["merged_into_text"] = target.text if target is not None else None
    return out


def poll_view(poll: Poll) -> dict[str, Any]:
    return {
        "id": poll.id, "session_id": poll.session_id, "question": poll.question, "multiple": poll.multiple,
        "status": poll.status.value, "results_visible": poll.results_visible, "voters": poll.voters,
        "options": [{"id": o.id, "label": o.label, "votes": o.votes} for o in poll.options],
        "opened_at": _iso(poll.opened_at), "closed_at": _iso(poll.closed_at),
    }


def public_poll(view: dict[str, Any]) -> dict[str, Any]:
    if view["results_visible"]:
        return view
    return {**view, "voters": None, "options": [{"id": o["id"], "label": o["label"]} for o in view["options"]]}


def settings_view(settings: QaSettings) -> dict[str, Any]:
    return {"session_id": settings.session_id, "moderation": settings.moderation.value, "open": settings.is_open,
            "anonymous_allowed": settings.anonymous_allowed, "short_code": settings.short_code}


def viewer_copy(message: dict[str, Any], *, moderator: bool, author: bool = False) -> dict[str, Any]:
    """A stored (moderators') message as one viewer may see it."""
    if moderator:
        return message
    kind = message["kind"]
    if kind == "question":
        view = author_question(message["question"]) if author else public_question(message["question"])
        return {**message, "question": view}
    if kind == "poll":
        return {**message, "poll": public_poll(message["poll"])}
    return message


# --- sequence and log -----------------------------------------------------------------------------------------

def next_seq(session_id: int) -> int:
    """Atomic on PostgreSQL (the UPDATE locks the row until commit) and SQLite (one writer)."""
    db.session.execute(update(QaSettings).where(QaSettings.session_id == session_id)
                       .values(seq=QaSettings.seq + 1).execution_options(synchronize_session=False))
    return db.session.scalar(db.select(QaSettings.seq).where(QaSettings.session_id == session_id))


def current_seq(session_id: int) -> int:
    return db.session.scalar(db.select(QaSettings.seq).where(QaSettings.session_id == session_id)) or 0


def _record(session_id: int, kind: str, obj: dict[str, Any], *, public: bool, author_key: str | None) -> None:
    seq = next_seq(session_id)
    message = {"session_id": session_id, "seq": seq, "kind": kind, kind: obj}
    db.session.add(QaBroadcast(session_id=session_id, seq=seq, audience="public" if public else "private",
                               author_key=author_key, payload=message))
    qa_activity.send(session_id, kind=kind)

    emit_after_commit("qa", message, to=moderators_room(session_id), namespace=NAMESPACE)
    if public:
        emit_after_commit("qa", viewer_copy(message, moderator=False), to=session_room(session_id),
                          namespace=NAMESPACE)
    elif author_key:
        emit_after_commit("qa", viewer_copy(message, moderator=False, author=True),
                          to=participant_room(session_id, author_key), namespace=NAMESPACE)


def record_question(q: Question) -> None:
    db.session.flush()
    _record(q.session_id, "question", question_view(q), public=q.is_public, author_key=q.author_key)


def record_poll(poll: Poll) -> None:
    db.session.flush()
    db.session.refresh(poll)
    _record(poll.session_id, "poll", poll_view(poll), public=poll.status != PollStatus.DRAFT, author_key=None)


def record_settings(settings: QaSettings) -> None:
    db.session.flush()
    _record(settings.session_id, "settings", settings_view(settings), public=True, author_key=None)


def missed(session_id: int, since: int, *, moderator: bool, key: str | None) -> list[dict[str, Any]] | None:
    """The messages after `since` this viewer may see, or None when a snapshot is needed instead."""
    seq = current_seq(session_id)
    if since > seq or seq - since > REPLAY_LIMIT:
        return None
    rows = db.session.scalars(db.select(QaBroadcast).where(QaBroadcast.session_id == session_id,
                                                           QaBroadcast.seq > since).order_by(QaBroadcast.seq))
    out = []
    for row in rows:
        if moderator:
            out.append(row.payload)
        elif row.audience == "public":
            out.append(viewer_copy(row.payload, moderator=False))
        elif key is not None and row.author_key == key:
            out.append(viewer_copy(row.payload, moderator=False, author=True))
    return out
