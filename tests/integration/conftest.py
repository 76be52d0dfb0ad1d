"""Integration fixtures: two real `python -m eventhub` processes sharing PostgreSQL and a Redis message queue.

Skipped unless EVENTHUB_TEST_DATABASE_URL (PostgreSQL) and EVENTHUB_TEST_REDIS_URL are both set (CI sets them).
The database `eventhub_integration` is dropped and re-created on that PostgreSQL server; the schema comes from
`flask --app wsgi db upgrade`, the fixtures from `tests/integration/seed_qa.py` (the app's services, in a child
process). The message queue uses Redis database INTEGRATION_REDIS_DB of the same server and a channel of its own
(pub/sub channels are server-wide, whatever the database number), so concurrent runs do not hear each other.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("EVENTHUB_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("EVENTHUB_TEST_REDIS_URL")
SKIP_REASON = ("multi-process integration test: needs EVENTHUB_TEST_DATABASE_URL (PostgreSQL) and "
               "EVENTHUB_TEST_REDIS_URL (Redis) — both are set by .ci/run")
DB_NAME = "eventhub_integration"
INTEGRATION_REDIS_DB = 11
CLI_TIMEOUT = 120
START_TIMEOUT = 30
STOP_TIMEOUT = 10

# Everything that could point the servers elsewhere; they get exactly the environment built below.
_SCRUBBED_PREFIXES = ("EVENTHUB_", "SOCKETIO_", "MAIL_", "RATELIMIT_")
_SCRUBBED = ("DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL", "HOST", "PORT", "SECRET_KEY", "FLASK_APP")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(base_url + "/healthz", timeout=2) as r:  # noqa: S310 (127.0.0.1 only)
            return r.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _log_tail(path: Path, limit: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return "(no log)"


class AppProcess:
    """One `python -m eventhub` (gevent), in its own process group, output to a log file. Restartable."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name, self.log_dir = name, log_dir
        self.port = _free_port()
        self.env = dict(env, PORT=str(self.port))
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"server-{self.name}-{self.starts}.log"

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, f"{self.name} is already running"
        self.starts += 1
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "eventhub"], cwd=ROOT, env=self.env,
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while not _healthy(self.base_url):
            if self.proc.poll() is not None:
                pytest.fail(f"server {self.name} exited with {self.proc.returncode}:\n{_log_tail(self.log_path)}")
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"server {self.name} did not answer /healthz within {START_TIMEOUT}s:\n"
                            f"{_log_tail(self.log_path)}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL, as in a crash: no clean shutdown, no goodbye to the clients."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=STOP_TIMEOUT)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=STOP_TIMEOUT)
        except ProcessLookupError:
            pass

    def logs(self) -> str:
        parts = []
        for k in range(1, self.starts + 1):
            path = self.log_dir / f"server-{self.name}-{k}.log"
            parts.append(f"--- {path.name} ---\n{_log_tail(path)}")
        return "\n".join(parts)


@dataclass
class Cluster:
    a: AppProcess
    b: AppProcess
    session_id: int
    moderator_email: str
    moderator_password: str
    tickets: list[str]
    database_url: str
    message_queue: str


def _redis_url_with_db(url: str, number: int) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{number}", parts.query, parts.fragment))


def _run(env: dict[str, str], *args: str) -> str:
    try:
        done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`{' '.join(args)}` did not finish within {CLI_TIMEOUT}s")
    if done.returncode != 0:
        pytest.fail(f"`{' '.join(args)}` failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    return done.stdout


@pytest.fixture(scope="module")
def qa_cluster() -> Iterator[Cluster]:
    if not (PG_URL and REDIS_URL):
        pytest.skip(SKIP_REASON)
    import redis

    from tests.conftest import fresh_postgres_database

    queue = _redis_url_with_db(REDIS_URL, INTEGRATION_REDIS_DB)
    try:
        redis.Redis.from_url(queue, socket_timeout=5, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is not reachable: {exc}")
    database_url = fresh_postgres_database(PG_URL, DB_NAME)
    work = Path(tempfile.mkdtemp(prefix="eventhub-integration-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES) and k not in _SCRUBBED}
    env.update(DATABASE_URL=database_url, SOCKETIO_MESSAGE_QUEUE=queue, SOCKETIO_ASYNC_MODE="gevent",
               SOCKETIO_CHANNEL=f"eventhub-integration-{os.getpid()}",
               EVENTHUB_INSTANCE_DIR=str(work), EVENTHUB_CONFIG="development", HOST="127.0.0.1",
               SECRET_KEY="integration-secret-key-not-for-production", PYTHONUNBUFFERED="1")
    _run(env, "-m", "flask", "--app", "wsgi", "db", "upgrade")
    fixture = json.loads(_run(env, "-m", "tests.integration.seed_qa").strip().splitlines()[-1])

    a, b = AppProcess("A", env, work), AppProcess("B", env, work)
    try:
        a.start()
        b.start()
        yield Cluster(a=a, b=b, session_id=fixture["session_id"], moderator_email=fixture["moderator_email"],
                      moderator_password=fixture["moderator_password"], tickets=fixture["tickets"],
                      database_url=database_url, message_queue=queue)
    finally:
        a.stop()
        b.stop()
