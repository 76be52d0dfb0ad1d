"""One unit of work per HTTP request: the view runs, then the pipeline commits once, or rolls back.

Modelled on Indico's `RH.process()`: load → check access → run → commit, rollback on any exception, then the
after-commit work (`eventhub.core.db.on_commit`: mail, broadcasts; each callback isolated). Views never call
`commit()`, `rollback()` or catch `DomainError`:

- a POST/PUT/PATCH/DELETE whose view returns a response below 400 is committed after the view (after-commit
  callbacks run then); an exception or an error response (4xx/5xx) rolls the transaction back;
- a GET/HEAD/OPTIONS never writes: a flush of INSERT/UPDATE/DELETE during one raises `ReadOnlyRequest` when
  `SAFE_METHOD_WRITES` is "raise" (tests), or is rolled back and logged ("rollback", production);
- `discard()` lets a helper (a form re-rendered with a refusal) roll back and end the unit without a commit.

Socket events have their own unit in `eventhub.core.live.LiveNamespace`; CLI commands and background loops are
their own units and call `eventhub.core.db.commit()` once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, Response, current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from eventhub.core.db import commit
from eventhub.extensions import db

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_ENVIRON_KEY = "eventhub.unit"  # on the WSGI environ of the request (socket events never pass before_request)


class ReadOnlyRequest(RuntimeError):
    """A GET/HEAD/OPTIONS request tried to write (raised only when SAFE_METHOD_WRITES is "raise")."""


@dataclass
class Unit:
    method: str
    read_only: bool
    discarded: bool = False
    wrote: bool = False


def current_unit() -> Unit | None:
    if not has_request_context():
        return None
    unit = request.environ.get(_ENVIRON_KEY)
    return unit if isinstance(unit, Unit) else None


def discard() -> None:
    """Roll back now; the request ends without a commit (a refused form shown again with its errors)."""
    db.session.rollback()
    unit = current_unit()
    if unit is not None:
        unit.discarded = True


def _begin() -> None:
    request.environ[_ENVIRON_KEY] = Unit(method=request.method, read_only=request.method in SAFE_METHODS)


def _finish(response: Response) -> Response:
    unit = current_unit()
    if unit is None:
        return response
    if unit.read_only:
        if unit.wrote:
            log.warning("%s %s tried to write: rolled back", request.method, request.path)
            db.session.rollback()
    elif unit.discarded or response.status_code >= 400:
        db.session.rollback()
    else:
        commit()  # a failure here is an exception: Flask answers 500 and the teardown rolls back
    request.environ.pop(_ENVIRON_KEY, None)
    return response


def _refuse_write(what: str) -> None:
    unit = current_unit()
    if unit is None or not unit.read_only:
        return
    if current_app.config["SAFE_METHOD_WRITES"] == "raise":
        raise ReadOnlyRequest(f"{unit.method} {request.path} must not write ({what})")
    unit.wrote = True


def _before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    changed = [*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))]
    if changed:
        _refuse_write(", ".join(sorted({type(o).__name__ for o in changed})))


def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        # Named, not compiled: an ORM bulk INSERT cannot be stringified outside its own execution.
        _refuse_write("INSERT" if state.is_insert else "UPDATE" if state.is_update else "DELETE")


def install(app: Flask) -> None:
    """Called by create_app before the blueprints' hooks: `_finish` then runs after theirs."""
    app.before_request(_begin)
    app.after_request(_finish)
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "do_orm_execute", _on_execute)
