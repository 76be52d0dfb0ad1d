"""Real `python -m eventhub` processes for the tests that need a server over the network: the environment they
get, the CLI children that migrate and seed their database, the process itself, and signing in over HTTP.

A plain module, not a conftest: tests/integration, tests/security_live, tests/security, tests/stage and tests/e2e
import these helpers from here, so no test module or conftest imports another conftest's names.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("EVENTHUB_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("EVENTHUB_TEST_REDIS_URL")
CLUSTER_SKIP_REASON = ("multi-process integration test: needs EVENTHUB_TEST_DATABASE_URL (PostgreSQL) and "
                       "EVENTHUB_TEST_REDIS_URL (Redis) — both are set by .ci/run")
INTEGRATION_REDIS_DB = 11  # the clusters' message queue: a Redis database of its own
CLI_TIMEOUT = 120
START_TIMEOUT = 30
STOP_TIMEOUT = 10

# Everything that could point a server elsewhere; it gets exactly the environment its fixture builds.
SCRUBBED_PREFIXES = ("EVENTHUB_", "SOCKETIO_", "MAIL_", "RATELIMIT_", "PROXY_FIX_")
SCRUBBED = ("DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL", "HOST", "PORT", "SECRET_KEY", "FLASK_APP",
            "TRUSTED_HOSTS")


def scrubbed_env(*more_prefixes: str) -> dict[str, str]:
    """This process's environment without what could point a server elsewhere (and without `more_prefixes`)."""
    prefixes = (*SCRUBBED_PREFIXES, *more_prefixes)
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes) and k not in SCRUBBED}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(base_url + "/healthz", timeout=2) as r:  # noqa: S310 (127.0.0.1 only)
            return r.status == 200
    except (OSError, urllib.error.URLError):
        return False


def log_tail(path: Path, limit: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return "(no log)"


def run_python(env: dict[str, str], *args: str, timeout: float = CLI_TIMEOUT) -> str:
    """`python *args` in the repository (a flask command, a seeding module); its stdout, or the test fails."""
    try:
        done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`{' '.join(args)}` did not finish within {timeout}s")
    if done.returncode != 0:
        pytest.fail(f"`{' '.join(args)}` failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    return done.stdout


def migrate_and_seed(env: dict[str, str], module: str) -> dict:
    """`flask db upgrade`, then the seeding `module`: the JSON object its last line prints (ids, codes, links)."""
    run_python(env, "-m", "flask", "--app", "wsgi", "db", "upgrade")
    return json.loads(run_python(env, "-m", module).strip().splitlines()[-1])


def redis_url_with_db(url: str, number: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{number}", parts.query, parts.fragment))


class AppProcess:
    """One `python -m eventhub` (gevent), in its own process group, output to a log file. Restartable."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name, self.log_dir = name, log_dir
        self.port = free_port()
        self.env = dict(env, PORT=str(self.port))
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"server-{self.name}-{self.starts}.log"

    def start(self, timeout: float = START_TIMEOUT) -> None:
        assert self.proc is None or self.proc.poll() is not None, f"{self.name} is already running"
        self.starts += 1
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "eventhub"], cwd=ROOT, env=self.env,
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while not healthy(self.base_url):
            if self.proc.poll() is not None:
                pytest.fail(f"server {self.name} exited with {self.proc.returncode}:\n{log_tail(self.log_path)}")
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"server {self.name} did not answer /healthz within {timeout}s:\n"
                            f"{log_tail(self.log_path)}")
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
            parts.append(f"--- {path.name} ---\n{log_tail(path)}")
        return "\n".join(parts)


def login_cookie(base_url: str, email: str, password: str, *, timeout: float = 10.0) -> str:
    """Sign in over HTTP like a browser (login form with its CSRF token); the Cookie header for Socket.IO."""
    with requests.Session() as s:
        page = s.get(f"{base_url}/login", timeout=timeout)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert token, "no CSRF token on /login"
        r = s.post(f"{base_url}/login", data={"email": email, "password": password, "csrf_token": token.group(1)},
                   allow_redirects=False, timeout=timeout)
        assert r.status_code == 302, f"login failed: HTTP {r.status_code}"
        return "; ".join(f"{k}={v}" for k, v in s.cookies.items())
