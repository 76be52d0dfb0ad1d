"""Plain helpers for the /floor socket tests (functions, not fixtures; the fixtures are in tests/floor/conftest.py)."""

from __future__ import annotations

from functools import partial

from tests.socket_clients import call as socket_call
from tests.socket_clients import join as socket_join
from tests.socket_clients import signed_in as signed_in

NS = "/floor"
call = partial(socket_call, namespace=NS)
join = partial(socket_join, namespace=NS)


def events(client) -> list:
    return [p["args"][0] for p in client.get_received(NS) if p["name"] == "floor"]
