"""What every Socket.IO namespace shares: payload validation, error acks, broadcasting after the commit.

Handlers follow one path: who (authenticated on connect) → may they (role) → validate the payload → service →
return the ack. The handler never commits: `LiveNamespace` wraps every `on_<event>` handler as one unit of work,
commit once the handler returns → after-commit work (`emit_after_commit` broadcasts) → ack. It (registered with
`attach`) turns a refused action into
`{"ok": false, "error": …}`, a client's wrong argument count into `invalid_payload`, and any other exception into
`server_error` with its traceback logged at ERROR; the session is rolled back in every case.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import has_app_context, has_request_context, request
from flask_babel import gettext as _
from flask_socketio import Namespace
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from eventhub.core.db import commit, has_work, on_commit
from eventhub.core.errors import DomainError, ValidationFailed
from eventhub.core.errors_web import domain_body, error_body
from eventhub.extensions import db, socketio

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


def disconnect_after_commit(sids: list[str], namespace: str) -> None:
    """End these connections once the current request has committed (a sign-out). A server-side disconnect runs
    the namespace's disconnect handler right here, inside the request: before the commit, that handler's unit of
    work would commit the request's half-done changes (and detach its objects)."""
    if not sids:
        return

    def run() -> None:
        for sid in sids:
            socketio.server.disconnect(sid, namespace=namespace)

    on_commit(run)


def ok(data: Any = None) -> dict:
    return {"ok": True} if data is None else {"ok": True, "data": data}


def error_ack(code: str, message: str, fields: dict | None = None) -> dict:
    """The error envelope of eventhub.core.errors_web, as an ack: `{"ok": false, "error": {...}}`."""
    return {"ok": False, **error_body(code, message, fields)}


def parse_payload(model: type[M], payload: Any) -> M:
    if not isinstance(payload, dict):
        raise ValidationFailed("invalid_payload", _("The message must be a JSON object."))
    try:
        return model.model_validate(payload)
    except PydanticError as exc:
        fields: dict[str, list[str]] = {}
        for error in exc.errors(include_url=False):
            fields.setdefault(".".join(str(p) for p in error["loc"]) or "_", []).append(error["msg"])
        raise ValidationFailed("invalid_payload", _("Some fields are missing or invalid."), fields=fields) from None


def emit_after_commit(event: str, data: Any, *, to: str, namespace: str) -> None:
    """Broadcast once the database holds the change; dropped if the transaction rolls back."""
    on_commit(lambda: socketio.emit(event, data, to=to, namespace=namespace))


class LiveNamespace(Namespace):
    """Base namespace: every event handler's refusal or crash becomes an error ack; the session is cleaned up.

    Dispatch is Flask-SocketIO's own (`Namespace.trigger_event`); errors come back through its documented hook,
    `socketio.on_error(namespace)`, which `attach()` points at `handle_error`. That hook runs inside the handler's
    request context, so the message is translated for the user and the rollback reaches the handler's session.

    Every `on_<event>` handler of a subclass (connect and disconnect too) is wrapped by `_unit_of_work`: the commit
    happens when it returns, inside its request context, before the ack leaves.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, handler in list(vars(cls).items()):
            if name.startswith("on_") and callable(handler) and not getattr(handler, "_unit_of_work", False):
                setattr(cls, name, _unit_of_work(handler))

    def trigger_event(self, event: str, *args: Any) -> Any:
        if not isinstance(event, str) or (event in RESERVED_EVENTS and not self._from_server(*args)):
            # A client may send an event named "connect" or "disconnect": it is not one (issue 9 item 16).
            log.warning("client-sent event %r ignored on %s", event, self.namespace)
            return None
        if event in ("connect", "disconnect"):
            try:
                return super().trigger_event(event, *args)
            finally:
                _end_session()
        handler = getattr(self, "on_" + (event or ""), None)
        if handler is None:
            return None
        try:
            return super().trigger_event(event, *args)
        except Exception:  # the error hook itself failed, or no request context could be made
            log.exception("socket event %s failed", event)
            return error_ack("server_error", _("Something went wrong. Please try again."))
        finally:
            _end_session()

    def handle_error(self, exc: Exception) -> Any:
        """`socketio.on_error` hook for this namespace (not `on_error`: a client could send an `error` event)."""
        db.session.rollback()
        # Flask-SocketIO puts the event on the request it makes for the handler: {"message": name, "args": (...)}.
        called: dict[str, Any] = (getattr(request, "event", None) or {}) if has_request_context() else {}
        event = str(called.get("message") or "")
        if event == "connect":
            log.error("socket connect on %s failed", self.namespace, exc_info=exc)
            return False  # a crash while connecting refuses the connection
        if isinstance(exc, DomainError):
            return {"ok": False, **domain_body(exc)}
        if isinstance(exc, TypeError) and not _arguments_fit(getattr(self, "on_" + event, None),
                                                             tuple(called.get("args") or ())):
            # Wrong number of arguments from a client: a bad payload, not a server fault.
            log.info("bad socket call %s on %s: %s", event, self.namespace, exc)
            return error_ack("invalid_payload", _("The message must be a JSON object."))
        log.error("socket event %s on %s failed", event, self.namespace, exc_info=exc)
        if event == "disconnect":
            return None
        return error_ack("server_error", _("Something went wrong. Please try again."))

    def _from_server(self, sid: Any = None, *_args: Any) -> bool:
        """python-socketio raises `connect` and `disconnect` while the client is pending (not yet / no longer
        connected); a client's own event only reaches us while it is connected."""
        return not self.socketio.server.manager.is_connected(sid, self.namespace)


RESERVED_EVENTS = ("connect", "disconnect")


def socket_sid() -> str:
    """The Socket.IO session id of the event being handled (Flask-SocketIO sets `request.sid`)."""
    return str(getattr(request, "sid", ""))


def attach(namespace: LiveNamespace) -> LiveNamespace:
    """Register a namespace and its error hook with the app's Socket.IO server (from an area's register())."""
    socketio.on_namespace(namespace)
    socketio.on_error(namespace.namespace)(namespace.handle_error)
    return namespace


def _unit_of_work(handler: Callable[..., Any]) -> Callable[..., Any]:
    """run → commit (after-commit callbacks: broadcasts, mail) → ack; an exception reaches `handle_error`, which
    rolls back and answers the error ack."""
    @functools.wraps(handler)
    def run(self: LiveNamespace, *args: Any) -> Any:
        result = handler(self, *args)
        if has_work():  # a read-only event (a join, a listen) leaves nothing to commit
            commit()
        return result

    run._unit_of_work = True  # type: ignore[attr-defined]
    return run


def _arguments_fit(handler: Callable[..., Any] | None, args: tuple[Any, ...]) -> bool:
    """Whether the client's arguments bind to the handler: if not, the TypeError is theirs, not ours."""
    if handler is None:
        return False
    try:
        inspect.signature(handler).bind(*args)
    except TypeError:
        return False
    return True


def _end_session() -> None:
    """Flask-SocketIO runs each handler in its own app context, popped (and its session removed, which rolls back)
    before we get here on a real server; only when an outer app context is still active (tests, CLI) is there a
    session left to clean up. Touching `db.session` without an app context would raise."""
    if has_app_context():
        db.session.remove()
