"""The /qa namespace: draft, unknown and foreign sessions answer alike (item 10); `join` is rate-limited per
connection and per address (item 11); client-sent reserved events do nothing (item 16, in process)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from eventhub.core.db import commit
from tests.security_live.sockets import call, code


@pytest.fixture
def draft_session(qa, make_event):
    from eventhub.schedule import services as sched

    draft = make_event(title="Pas encore annoncé", publish=False)
    session = sched.create_session(draft, sched.SessionData(
        title="Secret", starts_at=draft.starts_at, ends_at=draft.starts_at + timedelta(hours=1), kind="panel"))
    sched.publish_schedule(draft)  # the schedule is published, the event is not
    commit()
    return session.id


def test_draft_unknown_and_foreign_sessions_answer_the_same(qa, connect, draft_session, client):
    assert client.get(f"/qa/{draft_session}").status_code == 404  # as over HTTP
    viewer = connect()
    other = connect({"ticket": qa.other_ticket})  # a ticket of another event
    for conn, session_id in ((viewer, draft_session), (viewer, 2**31 - 1), (other, draft_session),
                             (other, qa.session.id)):
        assert code(call(conn, "join", {"session_id": session_id})) == "session_not_found", session_id
    assert code(call(other, "ask", {"session_id": qa.session.id, "text": "Intrus"})) == "session_not_found"
    assert call(viewer, "join", {"session_id": qa.session.id})["ok"] is True


def test_questions_and_polls_of_a_draft_event_are_not_found(qa, connect, draft_session):
    from eventhub.extensions import db
    from eventhub.qa import polls, services
    from eventhub.qa.participants import from_user
    from eventhub.schedule.models import AgendaSession

    session = db.session.get(AgendaSession, draft_session)
    services.update_settings(services.get_settings(session), moderation="open", is_open=True,
                             anonymous_allowed=False)
    question = services.ask(session, from_user(qa.organizer), "Question cachée")
    poll = polls.set_state(polls.create_poll(session, "Sondage caché", ["a", "b"]), "open")
    commit()
    question_id, poll_id = question.id, poll.id
    aminata = connect({"ticket": qa.ticket})
    assert code(call(aminata, "vote", {"question_id": question_id, "up": True})) == "question_not_found"
    assert code(call(aminata, "poll_vote", {"poll_id": poll_id, "option_ids": [poll.options[0].id]})) == \
        "poll_not_found"


def test_join_is_rate_limited_per_connection(app, qa, connect, monkeypatch):
    monkeypatch.setitem(app.config, "QA_JOIN_LIMIT", "5/10seconds")
    flood, bystander = connect({"ticket": qa.ticket}), connect({"ticket": qa.ticket2})
    acks = [call(flood, "join", {"session_id": qa.session.id}) for _ in range(8)]
    assert [code(a) for a in acks] == [None] * 5 + ["rate_limited"] * 3
    assert acks[-1]["error"]["message"]
    assert call(bystander, "join", {"session_id": qa.session.id})["ok"] is True


def test_join_is_rate_limited_per_address(app, qa, connect, monkeypatch):
    monkeypatch.setitem(app.config, "QA_JOIN_ADDRESS_LIMIT", "6/10seconds")
    clients = [connect() for _ in range(4)]  # all from 127.0.0.1
    results = [code(call(c, "join", {"session_id": qa.session.id})) for c in clients for _ in range(2)]
    assert results == [None] * 6 + ["rate_limited"] * 2


def test_client_sent_disconnect_and_connect_events_do_nothing(qa, connect):
    aminata = connect({"ticket": qa.ticket})
    assert call(aminata, "join", {"session_id": qa.session.id})["ok"] is True
    call(aminata, "disconnect")  # before: ran on_disconnect, forgetting who the connection is
    call(aminata, "connect", {})  # before: ran on_connect again, as nobody
    ack = call(aminata, "ask", {"session_id": qa.session.id, "text": "Toujours moi ?"})
    assert ack["ok"] is True, ack
    assert ack["data"]["question"]["mine"] is True
