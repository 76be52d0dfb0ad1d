"""What every Socket.IO namespace shares: payload validation, error acks, broadcasting after the commit.

Handlers follow one path: who (authenticated on connect) → may they (role) → validate the payload → service →
commit → emit to a named room → ack. `LiveNamespace` turns a refused action into `{"ok": false, "error": …}`
and never lets an exception reach the server log as a crash.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from flask import has_app_context
from flask_babel import gettext as _
from flask_socketio import Namespace
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from eventhub.core.db import on_commit
from eventhub.core.errors import DomainError, ValidationFailed
from eventhub.extensions import db, socketio

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


def ok(data: Any = None) -> dict:
    return {"ok": True} if data is None else {"ok": True, "data": data}


def error_ack(code: str, message: str, fields: dict | None = None) -> dict:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"ok": False, "error": body}


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

    The handler is wrapped so the refusal is turned into an ack inside Flask-SocketIO's request context: the
    message is translated for the user, and the rollback happens while the handler's DB session still exists.
    """

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

        def guarded(*call_args: Any) -> Any:
            try:
                return handler(*call_args)
            except DomainError as exc:
                db.session.rollback()
                return {"ok": False, "error": exc.to_dict()}
            except TypeError as exc:
                # Wrong number of arguments from a client: a bad payload, not a server fault.
                db.session.rollback()
                log.info("bad socket call %s: %s", event, exc)
                return error_ack("invalid_payload", _("The message must be a JSON object."))
            except Exception:
                db.session.rollback()
                log.exception("socket event %s failed", event)
                return error_ack("server_error", _("Something went wrong. Please try again."))

        try:
            return self.socketio._handle_event(guarded, event, self.namespace, *args)
        except Exception:
            log.exception("socket event %s failed", event)
            return error_ack("server_error", _("Something went wrong. Please try again."))
        finally:
            _end_session()


    def _from_server(self, sid: Any = None, *_args: Any) -> bool:
        """python-socketio raises `connect` and `disconnect` while the client is pending (not yet / no longer
        connected); a client's own event only reaches us while it is connected."""
        return not self.socketio.server.manager.is_connected(sid, self.namespace)


RESERVED_EVENTS = ("connect", "disconnect")


def _end_session() -> None:
    """Flask-SocketIO runs each handler in its own app context, popped (and its session removed, which rolls back)
    before we get here on a real server; only when an outer app context is still active (tests, CLI) is there a
    session left to clean up. Touching `db.session` without an app context would raise."""
    if has_app_context():
        db.session.remove()
