"""Plain helpers for the /qa socket tests (functions, not fixtures; the fixtures are in tests/qa/conftest.py)."""

from __future__ import annotations

from functools import partial

from tests.socket_clients import call as socket_call
from tests.socket_clients import join as socket_join
from tests.socket_clients import signed_in as signed_in

NS = "/qa"
call = partial(socket_call, namespace=NS)
join = partial(socket_join, namespace=NS)


def events(client, name: str = "qa") -> list:
    return [p["args"][0] for p in client.get_received(NS) if p["name"] == name]


def set_open(mod, session_id, **kw):
    body = {"session_id": session_id, "moderation": "open", "open": True, "anonymous_allowed": False, **kw}
    ack = call(mod, "settings", body)
    assert ack["ok"], ack
    return ack
