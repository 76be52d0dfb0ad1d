"""Q&A socket fixtures: a factory of /qa test clients (disconnected at the end) and a joined moderator.

The `qa` world itself (tests/qa/fixtures.py) is shared with journeys and security_live through `pytest_plugins` in
tests/conftest.py."""

from __future__ import annotations

import pytest

from eventhub.extensions import socketio
from tests.qa.sockets import NS, join


@pytest.fixture
def connect(app):
    clients = []

    def make(auth: dict | None = None, http=None):
        with app.app_context():  # as in production: each socket event gets its own context (g, DB session)
            client = socketio.test_client(app, namespace=NS, auth=auth or {},
                                          flask_test_client=http or app.test_client())
        clients.append(client)
        return client

    yield make
    for c in clients:
        if c.is_connected(NS):
            with app.app_context():
                c.disconnect(NS)


@pytest.fixture
def moderator(qa, connect, login):
    http = login(qa.moderator)
    mod = connect(http=http)
    join(mod, qa.session.id)
    return mod
