"""Q&A socket fixtures: a factory of /qa test clients (disconnected at the end) and a joined moderator.

The `qa` world itself (tests/qa/fixtures.py) is shared with journeys and security_live through `pytest_plugins` in
tests/conftest.py."""

from __future__ import annotations

from functools import partial

import pytest

from tests.qa.sockets import NS, join


@pytest.fixture
def connect(socket_clients):
    """`connect(auth=None, http=None)`: a /qa test client (tests/socket_clients.py)."""
    return partial(socket_clients, NS)


@pytest.fixture
def moderator(qa, connect, login):
    http = login(qa.moderator)
    mod = connect(http=http)
    join(mod, qa.session.id)
    return mod
