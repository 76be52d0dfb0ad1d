"""The /qa namespace with Flask-SocketIO's test client: acks, rooms, visibility, catch-up, coalescing, bad input."""

from __future__ import annotations

import pytest
from flask import current_app

from eventhub.core.loops import drain_all
from eventhub.extensions import db, socketio
from eventhub.qa.coalesce import votes
from eventhub.qa.models import Question, Vote
from tests.qa.sockets import NS, call, events, join, set_open, signed_in


def test_ask_approve_pin_vote_reach_the_right_rooms(qa, connect, moderator):
    aminata = connect({"ticket": qa.ticket})
    karim = connect({"ticket": qa.ticket2})
    data = join(aminata, qa.session.id)
    assert data["seq"] == 0 and data["snapshot"]["questions"] == []
    join(karim, qa.session.id)
    for c in (aminata, karim, moderator):
        c.get_received(NS)

    ack = call(aminata, "ask", {"session_id": qa.session.id, "text": "Quid du satellite ?", "anonymous": False})
    assert ack["ok"] and ack["data"]["question"]["status"] == "pending" and ack["data"]["question"]["mine"]
    qid = ack["data"]["question"]["id"]
    assert events(karim) == []  # pending: not for the audience
    mod_msgs = events(moderator)
    assert mod_msgs[0]["question"]["author_name"] == "Aminata Traoré" and mod_msgs[0]["seq"] == 1
    own = events(aminata)
    assert own[0]["question"]["mine"] and own[0]["question"]["status"] == "pending"

    assert call(moderator, "moderate", {"question_id": qid, "action": "approve"})["ok"]
    assert call(moderator, "moderate", {"question_id": qid, "action": "pin"})["ok"]
    seen = events(karim)
    assert [m["seq"] for m in seen] == [2, 3] and seen[-1]["question"]["pinned"]
    assert "author_name" not in seen[-1]["question"] and seen[-1]["question"]["author"] == "Aminata Traoré"

    ack = call(karim, "vote", {"question_id": qid, "up": True})
    assert ack["ok"] and ack["data"]["votes"] == 1
    ack = call(karim, "vote", {"question_id": qid, "up": True})
    assert ack["data"]["votes"] == 1  # once
    assert drain_all(current_app) >= 1  # the vote loop's work, done now (tests do not start the loops)
    counts = events(aminata, "votes")
    assert counts and counts[-1]["counts"] == {str(qid): 1}
    db.session.remove()  # a fresh session sees only what the event committed
    assert db.session.get(Question, qid).votes == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Vote).where(Vote.question_id == qid)) == 1


def test_reconnect_with_since_gets_exactly_what_was_missed(qa, connect, moderator):
    set_open(moderator, qa.session.id)
    phone = connect({"ticket": qa.ticket2})
    seq = join(phone, qa.session.id)["seq"]
    phone.disconnect(NS)
    asker = connect({"ticket": qa.ticket})
    join(asker, qa.session.id)
    ids = [call(asker, "ask", {"session_id": qa.session.id, "text": f"Question {n}"})["data"]["question"]["id"]
           for n in range(3)]
    call(moderator, "moderate", {"question_id": ids[0], "action": "pin"})
    phone = connect({"ticket": qa.ticket2})
    data = join(phone, qa.session.id, since=seq)
    assert "snapshot" not in data
    assert [m["seq"] for m in data["missed"]] == list(range(seq + 1, data["seq"] + 1))
    assert [m["question"]["id"] for m in data["missed"]] == [*ids, ids[0]]
    assert data["counts"] == {str(i): 0 for i in ids}
    again = join(phone, qa.session.id, since=data["seq"])
    assert again["missed"] == []  # nothing duplicated
    too_far = join(phone, qa.session.id, since=10_000)
    assert "snapshot" in too_far and len(too_far["snapshot"]["questions"]) == 3


def test_private_questions_stay_private_on_replay(qa, connect, moderator):
    aminata = connect({"ticket": qa.ticket})
    join(aminata, qa.session.id)
    call(aminata, "ask", {"session_id": qa.session.id, "text": "Privée"})
    karim = connect({"ticket": qa.ticket2})
    assert join(karim, qa.session.id, since=0)["missed"] == []
    assert len(join(aminata, qa.session.id, since=0)["missed"]) == 1
    assert len(join(moderator, qa.session.id, since=0)["missed"]) == 1


def test_vote_storm_is_coalesced(qa, connect, moderator, app):
    set_open(moderator, qa.session.id)
    asker = connect({"ticket": qa.ticket})
    join(asker, qa.session.id)
    qid = call(asker, "ask", {"session_id": qa.session.id, "text": "Populaire ?"})["data"]["question"]["id"]
    voter = connect({"ticket": qa.ticket2})
    join(voter, qa.session.id)
    asker.get_received(NS)
    for n in range(40):
        assert call(voter, "vote", {"question_id": qid, "up": n % 2 == 0})["ok"]
        if n % 10 == 9:
            votes(app).drain()  # a tick of the vote loop every ten votes
    batches = events(asker, "votes")
    assert len(batches) == 4  # 40 votes, four ticks: four messages, whatever the vote rate
    assert batches[-1]["counts"] == {str(qid): 0}
    assert votes(app).drain() == 0 and events(asker, "votes") == []  # nothing left over


def test_moderator_actions_refused_to_others(qa, connect, app, moderator):
    aminata = connect({"ticket": qa.ticket})
    join(aminata, qa.session.id)
    qid = call(aminata, "ask", {"session_id": qa.session.id, "text": "Bonjour"})["data"]["question"]["id"]
    outsider = connect(http=signed_in(app, qa.outsider))
    join(outsider, qa.session.id)
    viewer = connect()
    for client in (aminata, outsider, viewer):
        for event, body in (("moderate", {"question_id": qid, "action": "approve"}),
                            ("settings", {"session_id": qa.session.id, "moderation": "open", "open": True,
                                          "anonymous_allowed": True}),
                            ("poll", {"action": "create", "session_id": qa.session.id, "question": "Q",
                                      "options": ["a", "b"]})):
            ack = call(client, event, body)
            assert not ack["ok"] and ack["error"]["code"] in ("not_moderator", "forbidden"), (event, ack)
    ack = call(viewer, "ask", {"session_id": qa.session.id, "text": "Projecteur"})
    assert ack["error"]["code"] == "not_participant"


def test_removing_the_role_ends_live_rights(qa, connect, moderator):
    from eventhub.auth.models import Role
    from eventhub.auth.services import revoke_role
    from eventhub.core.db import commit
    from eventhub.events.models import Event
    from eventhub.extensions import db

    aminata = connect({"ticket": qa.ticket})
    join(aminata, qa.session.id)
    qid = call(aminata, "ask", {"session_id": qa.session.id, "text": "Bonjour"})["data"]["question"]["id"]
    revoke_role(db.session.get(Event, qa.event.id), db.session.get(type(qa.moderator), qa.moderator.id),
                Role.MODERATOR)
    commit()
    ack = call(moderator, "moderate", {"question_id": qid, "action": "approve"})
    assert ack["error"]["code"] == "session_ended"
    moderator.get_received(NS)
    call(aminata, "ask", {"session_id": qa.session.id, "text": "Encore"})
    assert events(moderator) == []  # out of the moderators' room


def test_logging_out_disconnects(qa, connect, login):
    http = login(qa.moderator)
    mod = connect(http=http)
    join(mod, qa.session.id)
    assert mod.is_connected(NS)
    http.post("/logout")
    assert not mod.is_connected(NS)


def test_refused_connections(qa, app):
    for auth in ({"ticket": "NOT-A-TICKET"}, {"participant": "forged"}, {"panelist_token": "bad"},
                 {"ticket": 123}):
        client = socketio.test_client(app, namespace=NS, auth=auth)
        assert not client.is_connected(NS), auth
    assert socketio.test_client(app, namespace=NS, auth={}).is_connected(NS)  # a read-only viewer


def test_wrong_event_ticket_and_unknown_session(qa, connect):
    other = connect({"ticket": qa.other_ticket})
    ack = call(other, "join", {"session_id": qa.session.id})
    assert ack["error"]["code"] == "session_not_found"  # as an unknown one: ids do not enumerate
    ack = call(other, "join", {"session_id": 999999})
    assert ack["error"]["code"] == "session_not_found"


def test_closed_qa_and_rate_limit(qa, connect, moderator):
    aminata = connect({"ticket": qa.ticket})
    join(aminata, qa.session.id)
    codes = [call(aminata, "ask", {"session_id": qa.session.id, "text": f"Q{n}"}).get("error", {}).get("code")
             for n in range(6)]
    assert codes == [None] * 5 + ["rate_limited"]
    set_open(moderator, qa.session.id, open=False)
    ack = call(connect({"ticket": qa.ticket2}), "ask", {"session_id": qa.session.id, "text": "Trop tard"})
    assert ack["error"]["code"] == "qa_closed"


def test_anonymous_participant_with_a_key(qa, connect, moderator, client):
    assert client.get(f"/qa/{qa.session.id}/participant").status_code == 409
    set_open(moderator, qa.session.id, anonymous_allowed=True)
    key = client.get(f"/qa/{qa.session.id}/participant").get_json()["participant"]
    anon = connect({"participant": key})
    join(anon, qa.session.id)
    ack = call(anon, "ask", {"session_id": qa.session.id, "text": "Anonyme"})
    assert ack["ok"] and ack["data"]["question"]["author"] is None


def test_panelist_sees_the_public_stream(qa, connect, moderator):
    set_open(moderator, qa.session.id)
    panelist = connect({"panelist_token": qa.panelist_token})
    data = join(panelist, qa.session.id)
    assert data["snapshot"]["me"]["panelist_id"] == qa.panelist.id
    asker = connect({"ticket": qa.ticket})
    join(asker, qa.session.id)
    qid = call(asker, "ask", {"session_id": qa.session.id, "text": "Pour Nadia"})["data"]["question"]["id"]
    call(moderator, "moderate", {"question_id": qid, "action": "address", "panelist_id": qa.panelist.id})
    assert events(panelist)[-1]["question"]["addressed_to"] == qa.panelist.id
    assert call(panelist, "ask", {"session_id": qa.session.id, "text": "x"})["error"]["code"] == "not_participant"


def test_polls_live(qa, connect, moderator):
    aminata = connect({"ticket": qa.ticket})
    join(aminata, qa.session.id)
    ack = call(moderator, "poll", {"action": "create", "session_id": qa.session.id, "question": "Priorité ?",
                                   "options": ["Fibre", "Satellite"], "multiple": False})
    assert ack["ok"], ack
    poll = ack["data"]["poll"]
    assert events(aminata) == []  # a draft is for moderators
    assert call(moderator, "poll", {"action": "open", "poll_id": poll["id"]})["ok"]
    opened = events(aminata)[-1]["poll"]
    assert opened["status"] == "open" and "votes" not in opened["options"][0]
    option = poll["options"][0]["id"]
    assert call(aminata, "poll_vote", {"poll_id": poll["id"], "option_ids": [option]})["ok"]
    again = call(aminata, "poll_vote", {"poll_id": poll["id"], "option_ids": [option]})
    assert again["error"]["code"] == "already_voted"
    assert call(moderator, "poll", {"action": "show_results", "poll_id": poll["id"]})["ok"]
    assert events(aminata)[-1]["poll"]["options"][0]["votes"] == 1
    assert drain_all(current_app) >= 1
    results = events(moderator, "poll_results")
    assert results and results[-1]["counts"][str(option)] == 1


BAD = ["not a dict", 42, None, [], {"x": 1}]


@pytest.mark.parametrize("event,good", [
    ("join", {"session_id": 1, "since": None}),
    ("ask", {"session_id": 1, "text": "t", "anonymous": False}),
    ("vote", {"question_id": 1, "up": True}),
    ("moderate", {"question_id": 1, "action": "approve"}),
    ("settings", {"session_id": 1, "moderation": "pre", "open": True, "anonymous_allowed": False}),
    ("poll", {"action": "open", "poll_id": 1}),
    ("poll_vote", {"poll_id": 1, "option_ids": [1]}),
])
def test_malformed_payloads_get_error_acks(qa, connect, app, event, good):
    client = connect({"ticket": qa.ticket})
    mod = connect(http=signed_in(app, qa.moderator))
    variants = list(BAD)
    for key, value in good.items():
        variants.append({k: v for k, v in good.items() if k != key})  # missing field
        for wrong in ("1", 1.5, True, None, [value], {"v": value}, "x" * 100_000):
            # `True == 1` in Python: compare types too, or booleans as ids would never be tried.
            if type(wrong) is not type(value) or wrong != value:
                variants.append({**good, key: wrong})
    variants.append({**good, "extra": 1})
    for who in (client, mod):
        for payload in variants:
            ack = call(who, event, payload)
            assert isinstance(ack, dict) and ack.get("ok") in (True, False), (event, payload, ack)
            if not ack["ok"]:
                assert ack["error"]["code"] != "server_error", (event, payload, ack)
            optional_missing = isinstance(payload, dict) and set(good) - set(payload) <= {"since", "anonymous"}
            if not isinstance(payload, dict) or "extra" in payload or not optional_missing:
                assert ack["error"]["code"] == "invalid_payload", (event, payload, ack)  # strict, never coerced
        # no payload at all, and two arguments
        assert call(who, event)["ok"] is False
        assert call(who, event, good, good)["ok"] is False
    assert join(client, qa.session.id)["seq"] >= 0  # still working


def test_rights_sweep_disconnects_moderators_whose_role_ended(qa, connect, moderator, app):
    from eventhub.auth.models import Role, User
    from eventhub.auth.services import revoke_role
    from eventhub.core.db import commit
    from eventhub.events.models import Event
    from eventhub.extensions import db
    from eventhub.qa.sockets import _sweep_rights

    with app.app_context():
        _sweep_rights()
    assert moderator.is_connected(NS)  # still a moderator: left alone
    revoke_role(db.session.get(Event, qa.event.id), db.session.get(User, qa.moderator.id), Role.MODERATOR)
    commit()
    with app.app_context():
        _sweep_rights()
    assert not moderator.is_connected(NS)
