"""End-to-end fixtures: the real server (`python -m eventhub`, gevent) and Debian's Chromium through Playwright.

`live_server` builds a throw-away SQLite instance (`live_instance`) with the migrations and the demo data, serves
it on a free port of 127.0.0.1 (tests/live_server.py) and yields the base URL. `browser` launches the system
Chromium (never a Playwright download); when it is missing the browser tests are skipped, and the terminal summary
says so in plain words. `contexts` opens browser contexts and fails the test on any JavaScript error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.e2e.instance import SECRET_KEY
from tests.live_server import AppProcess, run_python

CHROMIUM = os.environ.get("EVENTHUB_CHROMIUM", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-quic", "--disable-sync",
]
SKIP_REASON = f"Chromium not found at {CHROMIUM}: browser tests skipped"

CLI_TIMEOUT = int(os.environ.get("EVENTHUB_E2E_CLI_TIMEOUT", "300"))  # a loaded 2-core CI box needs minutes
START_TIMEOUT = int(os.environ.get("EVENTHUB_E2E_START_TIMEOUT", "30"))  # seconds for the server to answer /healthz

# Variables that would point the server at shared or outside services; the e2e server stays self-contained.
_SCRUBBED_ENV = (
    "DATABASE_URL", "EVENTHUB_CONFIG", "REDIS_URL", "RATELIMIT_STORAGE_URI", "SOCKETIO_MESSAGE_QUEUE",
    "MAIL_SERVER", "PUBLIC_BASE_URL", "HOST", "PORT",
)


@pytest.fixture(scope="session")
def live_instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The live server's instance folder (its SQLite database and outbox): CLI children work on it too."""
    return tmp_path_factory.mktemp("e2e-instance")


@pytest.fixture(scope="session")
def live_server(live_instance: Path) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    env.update(EVENTHUB_INSTANCE_DIR=str(live_instance), SECRET_KEY=SECRET_KEY, PYTHONUNBUFFERED="1")
    run_python(env, "-m", "flask", "--app", "wsgi", "db", "upgrade", timeout=CLI_TIMEOUT)
    run_python(env, "-m", "flask", "--app", "wsgi", "demo", "load", "--if-empty", timeout=CLI_TIMEOUT)
    server = AppProcess("e2e", env, live_instance)
    try:
        server.start(timeout=START_TIMEOUT)
        yield server.base_url
    finally:
        server.stop()


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


@pytest.fixture
def contexts(browser) -> Iterator[Callable[..., tuple[BrowserContext, Page]]]:
    """`contexts(**options)`: a new browser context and its page (French, Bamako time, 15 s timeouts, unless the
    options say otherwise; `timeout=` in ms). All are closed at teardown, where a JavaScript error on any of their
    pages fails the test."""
    made: list[tuple[BrowserContext, list[str]]] = []

    def make(*, timeout: float = 15_000, **options) -> tuple[BrowserContext, Page]:
        context = browser.new_context(**{"locale": "fr-FR", "timezone_id": "Africa/Bamako", **options})
        context.set_default_timeout(timeout)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        made.append((context, errors))
        return context, page

    yield make
    problems = [e for _c, errors in made for e in errors]
    for context, _errors in made:
        context.close()
    assert not problems, f"JavaScript errors: {problems}"


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
