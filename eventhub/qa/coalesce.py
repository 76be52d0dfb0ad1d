"""Vote storms, coalesced: votes mark their session dirty; one background task per process broadcasts the new
counts at most every QA_VOTE_FLUSH_INTERVAL seconds (0.3 s by default), whatever the vote rate.

The counts are read from the database when flushing, so every process sends the committed truth; through
`socketio.emit` they cross processes when a message queue is configured. The same task re-checks, every few
seconds, that moderators connected to this process still hold their rights.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask

from eventhub.extensions import db, socketio
from eventhub.qa import broadcast as bc

log = logging.getLogger(__name__)


class Coalescer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._questions: dict[int, set[int]] = {}
        self._polls: dict[int, set[int]] = {}
        self._started = False
        self.sweepers: list[Callable[[], None]] = []

    def mark_question(self, app: Flask, session_id: int, question_id: int) -> None:
        with self._lock:
            self._questions.setdefault(session_id, set()).add(question_id)
        self.ensure_started(app)

    def mark_poll(self, app: Flask, session_id: int, poll_id: int) -> None:
        with self._lock:
            self._polls.setdefault(session_id, set()).add(poll_id)
        self.ensure_started(app)

    def ensure_started(self, app: Flask) -> None:
        if self._started or not app.config.get("QA_VOTE_BACKGROUND", True):
            return
        with self._lock:
            if self._started:
                return
            self._started = True
        socketio.start_background_task(self._run, app)

    def flush(self, app: Flask) -> int:
        """Broadcast the counts of everything marked since the last flush; returns the number of messages."""
        with self._lock:
            questions, self._questions = self._questions, {}
            polls, self._polls = self._polls, {}
        if not questions and not polls:
            return 0
        from eventhub.qa import polls as poll_services
        from eventhub.qa import services
        from eventhub.qa.models import Poll

        sent = 0
        with app.app_context():
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

    def _run(self, app: Flask) -> None:
        interval = float(app.config.get("QA_VOTE_FLUSH_INTERVAL", 0.3))
        sweep_every = float(app.config.get("QA_RIGHTS_SWEEP_INTERVAL", 5.0))
        last_sweep = time.monotonic()
        while True:
            socketio.sleep(interval)
            try:
                self.flush(app)
                if time.monotonic() - last_sweep >= sweep_every:
                    last_sweep = time.monotonic()
                    with app.app_context():
                        try:
                            for sweep in self.sweepers:
                                sweep()
                        finally:
                            db.session.remove()
            except Exception:  # never let the loop die: the next tick tries again
                log.exception("Q&A vote flush failed")


coalescer = Coalescer()
