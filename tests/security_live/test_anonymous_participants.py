"""Anonymous Q&A participants are bounded per device and per network address, and moderators see a flag on
questions from an address that minted many keys (item 5)."""

from __future__ import annotations

import pytest

from eventhub.core.db import commit
from tests.security_live.sockets import call
from tests.socket_clients import signed_in


@pytest.fixture
def anonymous_session(qa):
    from eventhub.extensions import db
    from eventhub.qa import services

    session = db.session.merge(qa.session)
    services.update_settings(services.get_settings(session), moderation="open", is_open=True,
                             anonymous_allowed=True)
    commit()
    return qa.session.id


def test_a_device_keeps_its_key(app, anonymous_session):
    device = app.test_client()
    keys = {device.get(f"/qa/{anonymous_session}/participant").get_json()["participant"] for _ in range(5)}
    assert len(keys) == 1


def test_an_address_mints_a_bounded_number_of_keys(app, anonymous_session, monkeypatch):
    monkeypatch.setitem(app.config, "QA_ANONYMOUS_KEYS_LIMIT", "4/hour")
    answers = [app.test_client().get(f"/qa/{anonymous_session}/participant") for _ in range(6)]  # no cookies
    assert [r.status_code for r in answers] == [200] * 4 + [429] * 2
    assert answers[-1].get_json()["error"]["code"] == "too_many_participants"
    assert len({r.get_json()["participant"] for r in answers[:4]}) == 4


def test_moderators_see_questions_from_a_busy_address_flagged(app, qa, anonymous_session, connect, monkeypatch):
    monkeypatch.setitem(app.config, "QA_BUSY_ADDRESS_KEYS", 3)
    moderator = connect(http=signed_in(app, qa.moderator))
    assert call(moderator, "join", {"session_id": anonymous_session})["ok"] is True
    aminata = connect({"ticket": qa.ticket})
    first_key = app.test_client().get(f"/qa/{anonymous_session}/participant").get_json()["participant"]
    quiet = connect({"participant": first_key})
    ack = call(quiet, "ask", {"session_id": anonymous_session, "text": "Une seule clé"})
    assert ack["ok"] is True and "busy_source" not in ack["data"]["question"]  # the author does not see it
    for _ in range(2):  # the same address mints more keys: now 3
        app.test_client().get(f"/qa/{anonymous_session}/participant")
    busy = connect({"participant": first_key})
    assert call(busy, "ask", {"session_id": anonymous_session, "text": "Encore une"})["ok"] is True
    assert call(aminata, "ask", {"session_id": anonymous_session, "text": "Avec mon billet"})["ok"] is True

    snapshot = call(moderator, "join", {"session_id": anonymous_session})["data"]["snapshot"]
    flags = {q["text"]: (q["busy_source"], q["source"]) for q in snapshot["questions"]}
    assert flags["Une seule clé"][0] is False and flags["Encore une"][0] is True
    assert flags["Avec mon billet"][0] is False
    assert flags["Une seule clé"][1] == flags["Encore une"][1]  # same address, same label
    assert flags["Une seule clé"][1].startswith("n-") and "127.0.0.1" not in flags["Une seule clé"][1]
    public = call(aminata, "join", {"session_id": anonymous_session})["data"]["snapshot"]["questions"]
    assert all("source" not in q and "busy_source" not in q for q in public)
