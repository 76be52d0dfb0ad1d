"""The commit point and after-commit callbacks.

Services flush, never commit. Routes, socket handlers and CLI commands call `commit()` once; work that must
only happen once the database holds the change (sending mail, broadcasting) is registered with `on_commit()`
and runs right after a successful commit, or is dropped on rollback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import Engine, event
from sqlalchemy.orm import ORMExecuteState, Session

from eventhub.extensions import db

log = logging.getLogger(__name__)
_KEY = "eventhub_on_commit"
_FLUSHED = "eventhub_flushed"


def on_commit(callback: Callable[[], None]) -> None:
    db.session().info.setdefault(_KEY, []).append(callback)


def commit() -> None:
    db.session.commit()


def has_work() -> bool:
    """Whether the session holds anything to commit: changes, a flush since the last commit, or callbacks."""
    session = db.session()
    return bool(session.new or session.deleted or session.dirty or session.info.get(_FLUSHED)
                or session.info.get(_KEY))


def _flushed(session: Session, _context: object) -> None:
    session.info[_FLUSHED] = True


def _executed(state: ORMExecuteState) -> None:
    """A statement run through the session (a vote's INSERT … ON CONFLICT, an UPDATE … RETURNING) is work to
    commit even though no object was flushed."""
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_FLUSHED] = True


def _run_callbacks(session: Session) -> None:
    """Each callback on its own: one that fails is logged and the others (a mail, a broadcast) still run."""
    session.info.pop(_FLUSHED, None)
    callbacks = session.info.pop(_KEY, [])
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("after-commit callback %r failed", callback)


def _drop_callbacks(session: Session, previous_transaction=None) -> None:  # noqa: ANN001
    session.info.pop(_KEY, None)
    if previous_transaction is None or not getattr(previous_transaction, "nested", False):
        session.info.pop(_FLUSHED, None)  # a savepoint's rollback leaves the outer transaction's writes


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite safe for concurrent requests in one process (the embedded default).

    WAL lets readers proceed during a write; busy_timeout makes a writer wait instead of failing at once with
    "database is locked"; foreign keys are off by default in SQLite. Transactions stay DEFERRED: BEGIN IMMEDIATE
    would make every read hold the write lock until the session ends. Under gevent, SQLite calls never yield, so
    transactions in one process do not interleave; the scale-out setup is PostgreSQL.
    """
    if engine.dialect.name != "sqlite" or event.contains(engine, "connect", _sqlite_connect):
        return
    event.listen(engine, "connect", _sqlite_connect)


def _sqlite_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def install_session_hooks() -> None:
    """Called once by create_app; idempotent."""
    if not event.contains(Session, "after_commit", _run_callbacks):
        event.listen(Session, "after_commit", _run_callbacks)
        event.listen(Session, "after_soft_rollback", _drop_callbacks)
        event.listen(Session, "after_flush", _flushed)
        event.listen(Session, "do_orm_execute", _executed)
