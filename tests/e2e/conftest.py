"""End-to-end fixtures: the real server (`python -m eventhub`, gevent) and Debian's Chromium through Playwright.

`live_server` builds a throw-away SQLite instance with the migrations and the demo data, serves it on a free
port of 127.0.0.1 and yields the base URL. `browser` launches the system Chromium (never a Playwright download);
when it is missing the browser tests are skipped, and the terminal summary says so in plain words.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("EVENTHUB_CHROMIUM", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-quic", "--disable-sync",
]
SKIP_REASON = f"Chromium not found at {CHROMIUM}: browser tests skipped"

CLI_TIMEOUT = int(os.environ.get("EVENTHUB_E2E_CLI_TIMEOUT", "300"))  # a loaded 2-core CI box needs minutes
START_TIMEOUT = int(os.environ.get("EVENTHUB_E2E_START_TIMEOUT", "30"))  # seconds for the server to answer /healthz
STOP_TIMEOUT = 10  # seconds between SIGTERM and SIGKILL

# Variables that would point the server at shared or outside services; the e2e server stays self-contained.
_SCRUBBED_ENV = (
    "DATABASE_URL", "EVENTHUB_CONFIG", "REDIS_URL", "RATELIMIT_STORAGE_URI", "SOCKETIO_MESSAGE_QUEUE",
    "MAIL_SERVER", "PUBLIC_BASE_URL", "HOST", "PORT",
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _flask(env: dict[str, str], *args: str) -> None:
    cmd = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`flask {' '.join(args)}` did not finish within {CLI_TIMEOUT}s")
    if done.returncode != 0:
        pytest.fail(f"`flask {' '.join(args)}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def _healthy(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def _log_tail(path: Path, limit: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return "(no server log)"


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    instance = tmp_path_factory.mktemp("e2e-instance")
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    env.update(EVENTHUB_INSTANCE_DIR=str(instance), SECRET_KEY="e2e-secret-key-not-for-production",
               PYTHONUNBUFFERED="1")
    _flask(env, "db", "upgrade")
    _flask(env, "demo", "load", "--if-empty")

    port = _free_port()
    env["PORT"] = str(port)
    base_url = f"http://127.0.0.1:{port}"
    log_path = instance / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "eventhub"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode} before answering:\n{_log_tail(log_path)}")
            if _healthy(port):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer {base_url}/healthz within {START_TIMEOUT}s:\n"
                            f"{_log_tail(log_path)}")
            time.sleep(0.1)
        yield base_url
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def _playwright(request: pytest.FixtureRequest) -> object:
    if not Path(CHROMIUM).is_file():
        pytest.skip(SKIP_REASON)
    return request.getfixturevalue("playwright_session")  # shared with tests/media (tests/conftest.py)


@pytest.fixture(scope="session")
def browser(_playwright) -> Iterator[object]:
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                          timeout=60_000)
    try:
        yield browser
    finally:
        browser.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Skipped browser tests are easy to miss in `-q` output: say so in a section of their own."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "browser" in getattr(r, "keywords", {})]
    if not skipped:
        return
    terminalreporter.section("browser tests skipped", sep="!", yellow=True, bold=True)
    terminalreporter.write_line(f"{len(skipped)} browser test(s) did NOT run.", yellow=True, bold=True)
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        terminalreporter.write_line(f"  {report.nodeid}: {reason.removeprefix('Skipped: ')}", yellow=True)
    if not Path(CHROMIUM).is_file():
        terminalreporter.write_line("Install Debian's chromium (see .ci/run) or set EVENTHUB_CHROMIUM to its path.",
                                    yellow=True)
