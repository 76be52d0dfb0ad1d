"""Helpers for in-process socket tests (Flask-SocketIO's test client, sharing an HTTP client's login)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from eventhub.extensions import socketio

NS = "/qa"


def make_client(app, namespace: str = NS, auth: dict | None = None, http=None):  # noqa: ANN001, ANN201
    with app.app_context():  # as in production: each socket event gets its own context (g, DB session)
        return socketio.test_client(app, namespace=namespace, auth=auth or {},
                                    flask_test_client=http or app.test_client())


def call(client, event: str, *payload: Any, namespace: str = NS) -> Any:  # noqa: ANN001
    with current_app.app_context():  # a fresh context per event, as in production
        return client.emit(event, *payload, namespace=namespace, callback=True)


def code(ack: Any) -> str | None:
    return None if ack.get("ok") else ack["error"]["code"]
