"""The application shell: factory, migrations, compression, headers, page weight, mail transport, sockets."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from config import TestingConfig
from eventhub.core.db import commit
from eventhub.extensions import db, socketio
from eventhub.mail.models import MailMessage
from tests.conftest import ROOT, registration_form


def test_migrations_downgrade_and_upgrade_cleanly(tmp_path: Path):
    from flask_migrate import downgrade, upgrade

    from eventhub import create_app

    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    app = create_app(TestingConfig(url))
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"events", "registrations", "tickets", "users", "event_roles", "mail_messages"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
    create_engine(url).dispose()


def test_models_match_migrations(app, ctx):
    """Autogenerate finds nothing to do: every model change comes with a migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_html_is_compressed(client, make_event):
    event = make_event()
    response = client.get(f"/e/{event.slug}/register", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(response.data).decode()
    assert "csrf_token" in html


def test_security_headers(client):
    response = client.get("/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_no_third_party_assets_and_no_inline_script():
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        if "mail/" in str(path):
            continue
        assert not re.search(r"""(src|href)=["']https?://""", text), path
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), f"inline script in {path}"


def test_register_page_is_light(client, make_event):
    """Budget for phones on mobile data: the registration page with its CSS and JS, gzipped."""
    event = make_event()
    total = 0
    for url in (f"/e/{event.slug}/register", "/static/css/app.css", "/static/js/localtime.js"):
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        total += len(response.data)
    assert total < 20_000, total


def test_utf8_end_to_end(client, make_event):
    event = make_event(title="Rencontre « numérique » — الجزائر")
    response = client.get(f"/e/{event.slug}")
    assert response.content_type == "text/html; charset=utf-8"
    assert "Rencontre « numérique » — الجزائر" in response.get_data(as_text=True)
    response = client.post(f"/e/{event.slug}/register", data=registration_form(name="أمينة بوزيد"))
    ticket = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "أمينة بوزيد" in ticket
    assert 'dir="auto"' in ticket


def test_smtp_delivery_after_commit(app, make_event):
    """With MAIL_SERVER set, mail goes over SMTP after the commit, attachments included."""
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001, ANN201
            received.append(envelope)
            return "250 OK"

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        event = make_event()
        from eventhub.mail.services import deliver_queued
        from eventhub.registration.services import RegistrationData, register

        register(event, RegistrationData(name="Moussa Keïta", email="moussa@example.org", country="ML",
                                         mode="in_person", consent=True))
        assert received == []  # nothing leaves before the commit
        commit()
        deliver_queued(app)  # races the after-commit background task: still exactly one send
        import time

        deadline = time.monotonic() + 10
        while True:
            db.session.expire_all()
            message = db.session.scalars(db.select(MailMessage)).one()
            if message.status not in ("queued", "sending") or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert message.status == "sent"
        assert len(received) == 1
        raw = received[0].content.decode()
        assert "moussa@example.org" in received[0].rcpt_tos
        assert "image/png" in raw and "ticket.png" in raw
    finally:
        app.config.update(MAIL_SERVER=None)
        controller.stop()


def test_rolled_back_registration_sends_nothing(app, make_event):
    event = make_event()
    from eventhub.registration.services import RegistrationData, register

    register(event, RegistrationData(name="X", email="x@example.org", country="ML", mode="in_person", consent=True))
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(MailMessage)) == 0


def test_socketio_is_initialised(app):
    client = socketio.test_client(app)
    assert client.is_connected()
    client.disconnect()


def test_production_config_requires_secret(monkeypatch):
    from config import ProductionConfig

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError):
        ProductionConfig()
    monkeypatch.setenv("SECRET_KEY", "kJ3v9Qz_T1p8Rw2xYb6Nc4Hs0Lm7Fg5Ad-Ue8Wi3Oq1Zr")  # "x" * 40 is refused now
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://events.example.org")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    monkeypatch.setenv("SOCKETIO_MESSAGE_QUEUE", "redis://127.0.0.1:6379/0")
    cfg = ProductionConfig()
    assert cfg.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg2://u@h/db"
    assert cfg.SOCKETIO_MESSAGE_QUEUE == "redis://127.0.0.1:6379/0"
    assert cfg.SESSION_COOKIE_SECURE is True


def test_development_secret_is_generated_once(tmp_path, monkeypatch):
    from config import _persisted_secret_key

    first = _persisted_secret_key(tmp_path)
    assert len(first) > 40 and _persisted_secret_key(tmp_path) == first
