"""Shared fixtures.

The schema is built by running the Alembic migrations (never create_all), on SQLite by default or on a fresh
PostgreSQL database when EVENTHUB_TEST_DATABASE_URL is set. Each test starts from empty tables.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from playwright.sync_api import sync_playwright
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from config import TestingConfig, _normalise_db_url

# Fixtures shared across areas, as plugins (no test module imports another's fixtures): the Q&A world (qa, journeys,
# security_live), the local Janus (media, stage) and in-process Socket.IO clients (qa, floor, report, security_live).
pytest_plugins = ("tests.qa.fixtures", "tests.media.fixtures", "tests.socket_clients")

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("EVENTHUB_TEST_DATABASE_URL")
CHROMIUM = os.environ.get("EVENTHUB_CHROMIUM", "/usr/lib/chromium/chromium")


def _recreate_postgres_database(base_url: str, name: str, *, create: bool) -> str:
    url = make_url(_normalise_db_url(base_url))
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
        ), {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        if create:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def fresh_postgres_database(base_url: str, name: str) -> str:
    """Drop and create database `name` on the server of `base_url`; returns its URL."""
    return _recreate_postgres_database(base_url, name, create=True)


def drop_postgres_database(base_url: str, name: str) -> None:
    _recreate_postgres_database(base_url, name, create=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if PG_URL:
        name = f"eventhub_test_{os.getpid()}"
        yield fresh_postgres_database(PG_URL, name)
        drop_postgres_database(PG_URL, name)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


class FreshContextClient(FlaskClient):
    """Each request runs in its own app context (and so its own DB session and `g`), as in production.

    Without this, a test holding an app context (for factories) would share `g` and the session with every
    request, hiding bugs such as a stale logged-in user.
    """

    def open(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url: str):
    os.environ.setdefault("EVENTHUB_INSTANCE_DIR", tempfile.mkdtemp(prefix="eventhub-instance-"))
    from flask_migrate import upgrade

    from eventhub import create_app

    application = create_app(TestingConfig(database_url))
    application.test_client_class = FreshContextClient
    with application.app_context():
        upgrade()
    return application


@pytest.fixture(autouse=True)
def _clean_state(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    from eventhub.core.loops import clear_all
    from eventhub.extensions import db, limiter

    clear_all(application)  # work a test left for the background loops is not the next test's
    with application.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        for attempt in range(5):
            try:
                _empty_tables(db.engine, tables)
                break
            except OperationalError:
                # The DELETEs lock table after table; a background thread's query (live counters, the Q&A rights
                # sweep) can take them in another order: PostgreSQL breaks the deadlock, we try again.
                if attempt == 4:
                    raise
                time.sleep(0.2)
        limiter.reset()


def _empty_tables(engine, tables: list[str]) -> None:  # noqa: ANN001
    """DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE of every table cost 0.25 s a test on
    PostgreSQL (new files per table) against 1 ms for DELETE. Tables come children first; sequences restart so
    ids do not depend on the tests that ran before."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # A connection a test's worker thread left idle in a transaction would block the DELETE forever.
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"))
            conn.execute(text("; ".join(f"DELETE FROM {name}" for name in tables)))
            conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_client(app):
    """A client with CSRF checks on, as in production; `csrf_client.csrf_token(url)` reads a form's token."""
    import re

    client = app.test_client()

    def token(url: str) -> str:
        html = client.get(url).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert match, f"no CSRF token on {url}"
        return match.group(1)

    client.csrf_token = token  # type: ignore[attr-defined]
    return client


@pytest.fixture(autouse=True)
def _csrf_off_unless_asked(request: pytest.FixtureRequest):
    """Most route tests post forms without a token; tests using `csrf_client` keep CSRF on."""
    if "app" not in request.fixturenames:
        yield
        return
    application = request.getfixturevalue("app")
    application.config["WTF_CSRF_ENABLED"] = "csrf_client" in request.fixturenames
    yield
    application.config["WTF_CSRF_ENABLED"] = True


# --- factories ------------------------------------------------------------------------------------------------

BAMAKO = "Africa/Bamako"


def future(days: int = 14, hour: int = 9) -> datetime:
    base = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return base + timedelta(days=days)


@pytest.fixture
def make_user(ctx):
    from eventhub.auth.services import create_user
    from eventhub.core.db import commit

    counter = iter(range(1, 10_000))

    def make(email: str | None = None, name: str = "Staff", password: str = "correct horse battery", **kw):
        user = create_user(email or f"user{next(counter)}@example.org", name, password, **kw)
        commit()
        return user

    return make


@pytest.fixture
def make_event(ctx, make_user):
    from eventhub.core.db import commit
    from eventhub.events.services import EventData, create_event, publish_event

    def make(*, organizer=None, publish: bool = True, tz: str = BAMAKO, **overrides):
        organizer = organizer or make_user()
        values = dict(title="Table ronde Algérie–Mali", starts_at=future(), ends_at=future() + timedelta(hours=5),
                      timezone=tz, capacity=100, venue="CICB", room="Salle principale")
        values.update(overrides)
        event = create_event(EventData(**values), by=organizer)
        if publish:
            publish_event(event)
        commit()
        return event

    return make


@pytest.fixture
def login(client):
    def do(user, password: str = "correct horse battery"):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do


def registration_form(**overrides) -> dict:
    data = {"name": "Aminata Traoré", "email": "aminata@example.org", "organization": "Orange Mali",
            "job_title": "Directrice", "country": "ML", "mode": "in_person", "consent": "y"}
    data.update(overrides)
    return data


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[object]:
    """The one Playwright of the test session: its sync API cannot be started twice at once, and both the browser
    tests (tests/e2e) and the media tests (tests/media) drive Chromium. Started on first use."""
    with sync_playwright() as pw:
        yield pw


def pytest_report_header(config: pytest.Config) -> list[str]:
    backend = f"PostgreSQL ({make_url(PG_URL).render_as_string()})" if PG_URL else "SQLite"
    return [f"EventHub test database: {backend}"]


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # noqa: ANN001
    if not PG_URL:
        terminalreporter.write_sep("=", "NOTICE: PostgreSQL not configured", yellow=True)
        terminalreporter.write_line(
            "EVENTHUB_TEST_DATABASE_URL is not set: the suite ran on SQLite and the PostgreSQL-only tests were "
            "skipped. .ci/run sets it (postgresql://postgres@127.0.0.1:5432/test).")
