"""Plain helpers for the /qa socket tests (functions, not fixtures; the fixtures are in tests/qa/conftest.py)."""

from __future__ import annotations

from flask import current_app

NS = "/qa"


def call(client, event: str, *payload):
    with current_app.app_context():  # a fresh context per event, as in production
        return client.emit(event, *payload, namespace=NS, callback=True)


def events(client, name: str = "qa") -> list:
    return [p["args"][0] for p in client.get_received(NS) if p["name"] == name]


def join(client, session_id: int, since=None) -> dict:
    ack = call(client, "join", {"session_id": session_id, "since": since})
    assert ack["ok"], ack
    return ack["data"]


def signed_in(app, user):
    http = app.test_client()
    response = http.post("/login", data={"email": user.email, "password": "correct horse battery"})
    assert response.status_code == 302
    return http


def set_open(mod, session_id, **kw):
    body = {"session_id": session_id, "moderation": "open", "open": True, "anonymous_allowed": False, **kw}
    ack = call(mod, "settings", body)
    assert ack["ok"], ack
    return ack
