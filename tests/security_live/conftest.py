"""Security and reliability of the live connections (issue 9): fixtures.

- `qa` (tests/qa/fixtures.py, a plugin of tests/conftest.py) and the app/test-client fixtures of tests/conftest.py
  for in-process socket tests;
- `live_server`: one real `python -m eventhub` process (gevent, WebSocket), SQLite in a temporary directory,
  seeded by tests/integration/seed_qa.py, its whole output kept in a log file the tests read back;
- `live_cluster`: two such processes on PostgreSQL + a Redis message queue (as tests/integration/ does), with the
  periodic sweep slowed to a minute, so anything faster is the immediate cut-off; skipped without both.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.live_server import (
    CLUSTER_SKIP_REASON,
    INTEGRATION_REDIS_DB,
    PG_URL,
    REDIS_URL,
    AppProcess,
    migrate_and_seed,
    redis_url_with_db,
    scrubbed_env,
)
from tests.security_live.sockets import NS

WAIT = 10.0


@dataclass
class LiveServer:
    proc: AppProcess
    database: Path
    session_id: int
    moderator_email: str
    moderator_password: str
    tickets: list[str]

    @property
    def base_url(self) -> str:
        return self.proc.base_url

    def log(self) -> str:
        return self.proc.log_path.read_text(errors="replace")

    def log_size(self) -> int:
        return self.proc.log_path.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.proc.log_path.open("rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    work = Path(tempfile.mkdtemp(prefix="eventhub-seclive-"))
    env = scrubbed_env()
    env.update(DATABASE_URL=f"sqlite:///{work / 'live.sqlite3'}", SOCKETIO_ASYNC_MODE="gevent",
               EVENTHUB_INSTANCE_DIR=str(work), EVENTHUB_CONFIG="development", HOST="127.0.0.1",
               SECRET_KEY="security-live-secret-key-not-for-production", PYTHONUNBUFFERED="1",
               LIVE_SWEEP_INTERVAL="0.5")
    fixture = migrate_and_seed(env, "tests.integration.seed_qa")
    proc = AppProcess("live", env, work)
    proc.env["PUBLIC_BASE_URL"] = proc.base_url
    try:
        proc.start()
        yield LiveServer(proc=proc, database=work / "live.sqlite3", session_id=fixture["session_id"],
                         moderator_email=fixture["moderator_email"],
                         moderator_password=fixture["moderator_password"], tickets=fixture["tickets"])
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def live_cluster() -> Iterator[tuple[AppProcess, AppProcess, dict]]:
    if not (PG_URL and REDIS_URL):
        pytest.skip(CLUSTER_SKIP_REASON)
    from tests.conftest import drop_postgres_database, fresh_postgres_database

    name = f"eventhub_seclive_{os.getpid()}"
    database_url = fresh_postgres_database(PG_URL, name)
    work = Path(tempfile.mkdtemp(prefix="eventhub-seclive-cluster-"))
    env = scrubbed_env()
    env.update(DATABASE_URL=database_url, SOCKETIO_MESSAGE_QUEUE=redis_url_with_db(REDIS_URL, INTEGRATION_REDIS_DB),
               SOCKETIO_ASYNC_MODE="gevent", SOCKETIO_CHANNEL=f"eventhub-seclive-{os.getpid()}",
               EVENTHUB_INSTANCE_DIR=str(work), EVENTHUB_CONFIG="development", HOST="127.0.0.1",
               SECRET_KEY="security-live-secret-key-not-for-production", PYTHONUNBUFFERED="1",
               LIVE_SWEEP_INTERVAL="60")
    fixture = migrate_and_seed(env, "tests.integration.seed_qa")
    a, b = AppProcess("A", env, work), AppProcess("B", env, work)
    try:
        a.start()
        b.start()
        yield a, b, fixture
    finally:
        a.stop()
        b.stop()
        drop_postgres_database(PG_URL, name)


@pytest.fixture
def connect(socket_clients):
    """`connect(auth=…, http=…, namespace=…)`: an in-process test client (tests/socket_clients.py)."""
    return lambda auth=None, http=None, namespace=NS: socket_clients(namespace, auth, http)
