"""Socket errors through Flask-SocketIO's documented hook (`on_error`), and after-commit callbacks isolated."""

from __future__ import annotations

import logging
from pathlib import Path

from eventhub.auth.models import User
from eventhub.core.db import commit, on_commit
from eventhub.extensions import db
from tests.core.conftest import NS


def _users(app, email: str) -> int:  # noqa: ANN001
    # Its own app context: an outer one would be shared by the socket handlers (and their cached locale).
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(User).where(User.email == email))


def test_a_working_handler_still_answers(probe):
    client = probe()
    assert client.emit("echo", {"x": 1}, namespace=NS, callback=True) == {"ok": True, "data": {"x": 1}}
    assert client.emit("two", 1, 2, namespace=NS, callback=True) == {"ok": True, "data": [1, 2]}


def test_wrong_argument_count_from_a_client_is_invalid_payload(probe, caplog):
    client = probe()
    caplog.set_level(logging.INFO, logger="eventhub.core.live")
    ack = client.emit("echo", 1, 2, 3, namespace=NS, callback=True)
    assert ack == {"ok": False, "error": {"code": "invalid_payload", "message": "The message must be a JSON object."}}
    ack = client.emit("two", 1, namespace=NS, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_type_error_inside_our_code_is_server_error_logged_with_its_traceback(app, probe, caplog):
    client = probe()
    caplog.set_level(logging.INFO, logger="eventhub.core.live")
    ack = client.emit("bug", 5, namespace=NS, callback=True)
    assert ack == {"ok": False, "error": {"code": "server_error",
                                          "message": "Something went wrong. Please try again."}}
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "eventhub.core.live"]
    assert len(errors) == 1 and "bug" in errors[0].getMessage()
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is TypeError
    assert "len(payload)" in caplog.text  # the traceback reaches the log
    assert _users(app, "written-then-crashed@example.org") == 0  # rolled back


def test_a_domain_error_is_an_error_ack_translated_and_rolled_back(app, probe):
    for lang, message in (("fr", "Le message doit être un objet JSON."), ("en", "The message must be a JSON object.")):
        ack = probe(lang).emit("refuse", {}, namespace=NS, callback=True)
        assert ack == {"ok": False, "error": {"code": "probe_refused", "message": message}}
    assert _users(app, "written-then-refused@example.org") == 0


def test_a_crash_while_connecting_refuses_the_connection_and_is_logged(probe, caplog):
    caplog.set_level(logging.INFO, logger="eventhub.core.live")
    client = probe(auth={"crash": True})
    assert not client.is_connected(NS)
    assert any(r.levelno == logging.ERROR and r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)


def test_no_private_flask_socketio_api_is_called():
    source = (Path(__file__).resolve().parents[2] / "eventhub/core/live.py").read_text()
    assert "_handle_event" not in source


# --- after-commit callbacks --------------------------------------------------------------------------------------

def test_a_failing_after_commit_callback_is_logged_and_the_others_still_run(ctx, caplog):
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("broadcast server gone")

    on_commit(lambda: ran.append("first"))
    on_commit(broken)
    on_commit(lambda: ran.append("mail"))
    commit()
    assert ran == ["first", "mail"]
    failures = [r for r in caplog.records if r.name == "eventhub.core.db" and r.levelno == logging.ERROR]
    assert len(failures) == 1 and failures[0].exc_info[0] is RuntimeError


def test_after_commit_callbacks_are_dropped_on_rollback(ctx):
    ran: list[str] = []
    db.session.scalar(db.select(db.func.count()).select_from(User))  # a transaction, as in any request
    on_commit(lambda: ran.append("x"))
    db.session.rollback()
    commit()
    assert ran == []
