"""Security fixtures: an organizer, an event and its API token; a real SMTP server (aiosmtpd); a real
`python -m eventhub` server (gevent, production configuration) on SQLite and, when configured, PostgreSQL.

The live server gets its own database (a SQLite file, or a fresh PostgreSQL database on the server of
EVENTHUB_TEST_DATABASE_URL), built with `flask db upgrade` and seeded by tests/security/seed.py in a child process.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from eventhub.auth.services import create_api_token
from eventhub.core.db import commit
from tests.conftest import drop_postgres_database, fresh_postgres_database

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("EVENTHUB_TEST_DATABASE_URL")
START_TIMEOUT = 30
CLI_TIMEOUT = 120
_SCRUBBED_PREFIXES = ("EVENTHUB_", "SOCKETIO_", "MAIL_", "RATELIMIT_", "PROXY_FIX_")
_SCRUBBED = ("DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL", "HOST", "PORT", "SECRET_KEY", "FLASK_APP",
             "TRUSTED_HOSTS")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    base_url: str
    port: int
    database_url: str
    seed: dict
    proc: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return "(no log)"


def _healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(base_url + "/healthz", timeout=2) as r:  # noqa: S310 (127.0.0.1 only)
            return r.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        pytest.fail(f"`{' '.join(args)}` failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    return done.stdout


def server_env(work: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES) and k not in _SCRUBBED}
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
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("PostgreSQL not configured (EVENTHUB_TEST_DATABASE_URL)")

        name = f"eventhub_security_{os.getpid()}"
        database_url = fresh_postgres_database(PG_URL, name)
    else:
        database_url = f"sqlite:///{work / 'live.sqlite3'}"
    env = server_env(work, database_url)
    _run(env, "-m", "flask", "--app", "wsgi", "db", "upgrade")
    seed = json.loads(_run(env, "-m", "tests.security.seed").strip().splitlines()[-1])
    port = free_port()
    env["PORT"] = str(port)
    log_path = work / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "eventhub"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = LiveServer(backend=request.param, base_url=f"http://127.0.0.1:{port}", port=port,
                        database_url=database_url, seed=seed, proc=proc, log_path=log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _healthy(server.base_url):
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{server.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"server did not start within {START_TIMEOUT}s:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        if request.param == "postgresql":
            drop_postgres_database(PG_URL, f"eventhub_security_{os.getpid()}")
