"""The commit point and after-commit callbacks.

Services flush, never commit. Routes, socket handlers and CLI commands call `commit()` once; work that must
only happen once the database holds the change (sending mail, broadcasting) is registered with `on_commit()`
and runs right after a successful commit, or is dropped on rollback.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from eventhub.extensions import db

_KEY = "eventhub_on_commit"


def on_commit(callback: Callable[[], None]) -> None:
    db.session().info.setdefault(_KEY, []).append(callback)


def commit() -> None:
    db.session.commit()


def _run_callbacks(session: Session) -> None:
    callbacks = session.info.pop(_KEY, [])
    for callback in callbacks:
        callback()


def _drop_callbacks(session: Session, previous_transaction=None) -> None:  # noqa: ANN001
    session.info.pop(_KEY, None)


def install_session_hooks() -> None:
    """Called once by create_app; idempotent."""
    if not event.contains(Session, "after_commit", _run_callbacks):
        event.listen(Session, "after_commit", _run_callbacks)
        event.listen(Session, "after_soft_rollback", _drop_callbacks)
