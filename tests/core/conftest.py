"""Core fixtures: a throw-away Socket.IO namespace built on LiveNamespace, registered once per test session."""

from __future__ import annotations

from typing import Any

import pytest
from flask_babel import lazy_gettext as _l

from eventhub.auth.services import create_user
from eventhub.core.errors import Conflict
from eventhub.core.live import LiveNamespace, attach, ok
from eventhub.extensions import socketio

NS = "/test-live"


class ProbeNamespace(LiveNamespace):
    """Handlers that fail in each way a real one can."""

    def on_connect(self, auth: Any = None) -> bool:
        if isinstance(auth, dict) and auth.get("crash"):
            raise RuntimeError("connect crashed")
        return True

    def on_echo(self, payload: Any = None) -> dict:
        return ok(payload)

    def on_refuse(self, payload: Any = None) -> dict:
        create_user("written-then-refused@example.org", "Rolled back", "correct horse battery")  # flushes
        raise Conflict("probe_refused", _l("The message must be a JSON object."))

    def on_bug(self, payload: Any = None) -> dict:
        create_user("written-then-crashed@example.org", "Rolled back", "correct horse battery")
        return ok(len(payload))  # a TypeError inside our code when payload is an int

    def on_two(self, first: Any, second: Any) -> dict:
        return ok([first, second])


_attached: dict[int, ProbeNamespace] = {}


@pytest.fixture
def probe(app):
    if id(app) not in _attached:
        _attached[id(app)] = attach(ProbeNamespace(NS))

    def connect(lang: str = "en", **kw: Any):
        return socketio.test_client(app, namespace=NS, flask_test_client=app.test_client(),
                                    headers={"Accept-Language": lang}, **kw)

    return connect
