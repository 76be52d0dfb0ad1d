"""Security fixtures: an organizer, an event and its API token; a real SMTP server (aiosmtpd); a real
`python -m eventhub` server (gevent, production configuration) on SQLite and, when configured, PostgreSQL.

The live server gets its own database (a SQLite file, or a fresh PostgreSQL database on the server of
EVENTHUB_TEST_DATABASE_URL), built with `flask db upgrade` and seeded by tests/security/seed.py in a child process.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from eventhub.auth.services import create_api_token
from eventhub.core.db import commit
from tests.conftest import drop_postgres_database, fresh_postgres_database
from tests.live_server import PG_URL, AppProcess, free_port, migrate_and_seed, scrubbed_env


@pytest.fixture
def organizer(make_user):
    return make_user("orga@example.org", "Organisatrice")


@pytest.fixture
def event(make_event, organizer):
    return make_event(organizer=organizer)


@pytest.fixture
def make_token(ctx):
    def make(event, by) -> str:
        _row, plaintext = create_api_token(event, by, "tests")
        commit()
        return plaintext

    return make


@pytest.fixture
def token(make_token, event, organizer) -> str:
    return make_token(event, organizer)


# --- a real SMTP server ---------------------------------------------------------------------------------------

@dataclass
class SmtpServer:
    port: int
    received: list = field(default_factory=list)
    refuse: bool = False  # answer 451 to DATA (a temporary failure)


@pytest.fixture
def smtp_server(app) -> Iterator[SmtpServer]:
    server = SmtpServer(port=free_port())

    class Handler:
        async def handle_DATA(self, _server, _session, envelope):  # noqa: N802, ANN001, ANN201
            if server.refuse:
                return "451 4.3.0 try again later"
            server.received.append(envelope)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=server.port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    try:
        yield server
    finally:
        app.config.update(MAIL_SERVER=None, MAIL_PORT=25)
        controller.stop()


def wait_for(condition, timeout: float = 10.0, what: str = "condition"):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


# --- a real server --------------------------------------------------------------------------------------------

STRONG_SECRET = secrets.token_urlsafe(48)


@dataclass
class LiveServer:
    backend: str
    database_url: str
    seed: dict
    proc: AppProcess

    @property
    def base_url(self) -> str:
        return self.proc.base_url

    @property
    def port(self) -> int:
        return self.proc.port


def server_env(work: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = scrubbed_env()
    env.update(DATABASE_URL=database_url, SOCKETIO_ASYNC_MODE="gevent", EVENTHUB_INSTANCE_DIR=str(work),
               EVENTHUB_CONFIG="production", HOST="127.0.0.1", SECRET_KEY=STRONG_SECRET,
               PUBLIC_BASE_URL="https://events.example.org", PROXY_FIX_X_FOR="1", PROXY_FIX_X_PROTO="1",
               PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """`python -m eventhub` under gevent, in production configuration, behind one (simulated) proxy hop."""
    work = Path(tempfile.mkdtemp(prefix="eventhub-security-"))
    name = f"eventhub_security_{os.getpid()}"
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("PostgreSQL not configured (EVENTHUB_TEST_DATABASE_URL)")
        database_url = fresh_postgres_database(PG_URL, name)
    else:
        database_url = f"sqlite:///{work / 'live.sqlite3'}"
    env = server_env(work, database_url)
    seed = migrate_and_seed(env, "tests.security.seed")
    proc = AppProcess("security", env, work)
    try:
        proc.start()
        yield LiveServer(backend=request.param, database_url=database_url, seed=seed, proc=proc)
    finally:
        proc.stop()
        if request.param == "postgresql":
            drop_postgres_database(PG_URL, name)
