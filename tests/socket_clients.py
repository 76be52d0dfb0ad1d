"""In-process Socket.IO clients (Flask-SocketIO's test client) for any area's socket tests: a plugin of
tests/conftest.py (`pytest_plugins`), so every area gets the `socket_clients` fixture without importing it.

Each client connects inside its own app context, as each socket event gets its own in production (g, DB session);
`http` is a Flask test client whose login the socket shares. `call`, `join` and `signed_in` are plain helpers the
areas bind to their namespace (tests/qa/sockets.py, tests/floor/sockets.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import current_app

from eventhub.extensions import socketio


def make_client(app, namespace: str, auth: dict | None = None, http=None) -> Any:  # noqa: ANN001
    with app.app_context():
        return socketio.test_client(app, namespace=namespace, auth=auth or {},
                                    flask_test_client=http or app.test_client())


@pytest.fixture
def socket_clients(app) -> Iterator[Callable[..., Any]]:
    """`socket_clients(namespace, auth=None, http=None)`: a connected test client, disconnected at teardown."""
    made: list[tuple[Any, str]] = []

    def make(namespace: str, auth: dict | None = None, http=None) -> Any:  # noqa: ANN001
        client = make_client(app, namespace, auth, http)
        made.append((client, namespace))
        return client

    yield make
    for client, namespace in made:
        if client.is_connected(namespace):
            with app.app_context():
                client.disconnect(namespace)


def call(client, event: str, *payload: Any, namespace: str) -> Any:  # noqa: ANN001
    """Emit `event` and return its ack, in a fresh app context per event, as in production."""
    with current_app.app_context():
        return client.emit(event, *payload, namespace=namespace, callback=True)


def join(client, session_id: int, since: int | None = None, *, namespace: str) -> dict:  # noqa: ANN001
    """`join` a session's rooms; the ack's data (the test fails on a refusal)."""
    ack = call(client, "join", {"session_id": session_id, "since": since}, namespace=namespace)
    assert ack["ok"], ack
    return ack["data"]


def signed_in(app, user) -> Any:  # noqa: ANN001
    """An HTTP test client signed in as `user` (the factories' password), for a socket to share its login."""
    http = app.test_client()
    assert http.post("/login", data={"email": user.email, "password": "correct horse battery"}).status_code == 302
    return http
