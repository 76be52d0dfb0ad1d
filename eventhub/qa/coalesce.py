"""Vote storms, coalesced: votes mark their session dirty; one background loop per process broadcasts the new
counts at most every QA_VOTE_FLUSH_INTERVAL seconds (0.3 s by default), whatever the vote rate.

The counts are read from the database when flushing, so every process sends the committed truth; through
`socketio.emit` they cross processes when a message queue is configured. A second loop re-checks, every
QA_RIGHTS_SWEEP_INTERVAL seconds, that moderators connected to this process still hold their rights.
Both are `eventhub.core.loops.BackgroundLoop`s, registered by `eventhub.qa.sockets.register(app)`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

from eventhub.core.loops import BackgroundLoop, get_loop
from eventhub.extensions import db, socketio
from eventhub.qa import broadcast as bc
from eventhub.qa import polls as poll_services
from eventhub.qa import services
from eventhub.qa.models import Poll


class VoteFlush(BackgroundLoop):
    name = "qa.votes"
    interval_key = "QA_VOTE_FLUSH_INTERVAL"
    default_interval = 0.3

    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        self._marks = threading.Lock()
        self._questions: dict[int, set[int]] = {}
        self._polls: dict[int, set[int]] = {}

    def mark_question(self, session_id: int, question_id: int) -> None:
        with self._marks:
            self._questions.setdefault(session_id, set()).add(question_id)

    def mark_poll(self, session_id: int, poll_id: int) -> None:
        with self._marks:
            self._polls.setdefault(session_id, set()).add(poll_id)

    def clear(self) -> None:
        with self._marks:
            self._questions, self._polls = {}, {}

    def drain(self) -> int:
        """Broadcast the counts of everything marked since the last flush; returns the number of messages."""
        with self._marks:
            questions, self._questions = self._questions, {}
            polls, self._polls = self._polls, {}
        if not questions and not polls:
            return 0
        sent = 0
        with self.app.app_context():
            try:
                for session_id, ids in questions.items():
                    message = {"session_id": session_id, "counts": services.vote_counts(session_id, ids)}
                    for room in (bc.session_room(session_id), bc.moderators_room(session_id)):
                        socketio.emit("votes", message, to=room, namespace=bc.NAMESPACE)
                    sent += 1
                for session_id, ids in polls.items():
                    for poll in db.session.scalars(db.select(Poll).where(Poll.id.in_(ids))):
                        message = poll_services.results(poll)
                        socketio.emit("poll_results", message, to=bc.moderators_room(session_id),
                                      namespace=bc.NAMESPACE)
                        if poll.results_visible:
                            socketio.emit("poll_results", message, to=bc.session_room(session_id),
                                          namespace=bc.NAMESPACE)
                        sent += 1
            finally:
                db.session.remove()
        return sent


class RightsSweep(BackgroundLoop):
    name = "qa.rights"
    interval_key = "QA_RIGHTS_SWEEP_INTERVAL"
    default_interval = 5.0

    def __init__(self, app: Flask, sweepers: list[Callable[[], None]] | None = None) -> None:
        super().__init__(app)
        self.sweepers: list[Callable[[], None]] = list(sweepers or [])

    def drain(self) -> int:
        with self.app.app_context():
            try:
                for sweep in self.sweepers:
                    sweep()
            finally:
                db.session.remove()
        return 0  # a sweep leaves nothing pending


class Coalescer:
    """What the socket handlers call: marks go to the app's VoteFlush loop."""

    def mark_question(self, app: Flask, session_id: int, question_id: int) -> None:
        votes(app).mark_question(session_id, question_id)

    def mark_poll(self, app: Flask, session_id: int, poll_id: int) -> None:
        votes(app).mark_poll(session_id, poll_id)

    def ensure_started(self, app: Flask) -> None:
        """Kept for callers; the loops are started by `register(app)` (nothing to do here)."""

    def flush(self, app: Flask) -> int:
        return votes(app).drain()


def votes(app: Flask) -> VoteFlush:
    loop = get_loop(app, VoteFlush.name)
    assert isinstance(loop, VoteFlush)
    return loop


coalescer = Coalescer()
