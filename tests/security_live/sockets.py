"""Helpers for in-process /qa socket tests (clients come from the `connect` fixture: tests/socket_clients.py)."""

from __future__ import annotations

from functools import partial
from typing import Any

from tests.socket_clients import call as socket_call

NS = "/qa"
call = partial(socket_call, namespace=NS)  # namespace=… for another


def code(ack: Any) -> str | None:
    return None if ack.get("ok") else ack["error"]["code"]
