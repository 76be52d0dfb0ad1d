"""The /floor namespace with Flask-SocketIO's test client: every event by role, bad payloads with exact codes,
rooms (who receives what), and replay with `since`."""

from __future__ import annotations

from eventhub.core.db import commit
from eventhub.extensions import db, socketio
from eventhub.floor import channels
from eventhub.schedule import panelists as pan
from eventhub.schedule.models import AgendaSession
from tests.floor.sockets import NS, call, events, join, signed_in


def _add_panelists(mod, floor):
    ids = []
    for p in (floor.mali, floor.algeria):
        ack = call(mod, "add_speaker", {"session_id": floor.session.id, "kind": "panelist", "panelist_id": p.id,
                                        "budget_seconds": 180})
        assert ack["ok"], ack
        ids.append(ack["data"]["speaker"]["id"])
    return ids


def test_moderator_runs_the_floor_and_the_audience_sees_it(floor, connect, mod):
    aminata = connect({"ticket": floor.tickets[0]})
    snap = join(aminata, floor.session.id)["snapshot"]
    assert snap["state"]["current"] is None and snap["hands"] == []
    a, b = _add_panelists(mod, floor)
    assert call(mod, "move_speaker", {"speaker_id": b, "direction": "up"})["ok"]
    ack = call(mod, "start", {"speaker_id": b, "if_current": None})
    assert ack["ok"]
    speech_id = ack["data"]["speech_id"]
    broadcast = events(mod)[-1]
    assert broadcast["seq"] == ack["data"]["seq"] and broadcast["state"]["current"]["name"] == "Yacine Boudiaf"
    seen = events(aminata)
    assert [m["kind"] for m in seen] == ["state"] * 4
    last = seen[-1]["state"]
    assert last["current"]["panelist_id"] == floor.algeria.id and last["current"]["budget_seconds"] == 180
    assert last["current"]["delegation"] == "Algérie" and "participant_key" not in last["speakers"][0]
    assert call(mod, "pause", {"session_id": floor.session.id})["ok"]
    assert call(mod, "resume", {"session_id": floor.session.id, "if_current": None})["ok"]
    assert call(mod, "interject", {"speaker_id": a, "if_current": speech_id})["ok"]
    assert call(mod, "end", {"session_id": floor.session.id})["ok"]  # the interjection: back to Yacine
    state = events(aminata)[-1]["state"]
    assert state["current"]["id"] == speech_id and state["paused"] == []
    ack = call(mod, "start", {"speaker_id": a, "if_current": None})  # stale view: Yacine speaks
    assert ack == {"ok": False, "error": {"code": "floor_changed", "message": ack["error"]["message"]}}
    assert call(mod, "end", {"session_id": floor.session.id})["ok"]
    ack = call(mod, "remove_speaker", {"speaker_id": a})
    assert ack["ok"]
    ack = call(mod, "settings", {"session_id": floor.session.id, "default_budget_seconds": 120,
                                 "show_timer_on_screen": True, "hands_open": True})
    assert ack["data"]["settings"] == {"default_budget_seconds": 120, "show_timer_on_screen": True,
                                       "hands_open": True}
    ack = call(mod, "delegation", {"session_id": floor.session.id, "name": "Diaspora", "budget_seconds": 300})
    assert ack["ok"] and ack["data"]["delegation"]["name"] == "Diaspora"
    ack = call(mod, "update_speaker", {"speaker_id": b, "delegation_id": ack["data"]["delegation"]["id"],
                                       "budget_seconds": 60})
    assert ack["ok"] and ack["data"]["speaker"]["budget_seconds"] == 60


def test_hands_reach_moderators_and_their_owner_only(floor, connect, mod):
    aminata, karim = connect({"ticket": floor.tickets[0]}), connect({"ticket": floor.tickets[1]})
    join(aminata, floor.session.id)
    join(karim, floor.session.id)
    for c in (mod, aminata, karim):
        c.get_received(NS)
    ack = call(aminata, "raise_hand", {"session_id": floor.session.id, "topic": "La fibre"})
    assert ack["ok"] and ack["data"]["hand"]["status"] == "pending" and ack["data"]["hand"]["mine"]
    hand_id = ack["data"]["hand"]["id"]
    assert events(karim) == []
    assert events(mod)[0]["hand"]["name"] == "Aminata Traoré"
    assert events(aminata)[0]["hand"]["mine"] is True
    ack = call(aminata, "raise_hand", {"session_id": floor.session.id, "topic": "encore"})
    assert ack["error"]["code"] == "hand_already_raised"
    ack = call(karim, "withdraw_hand", {"hand_id": hand_id})
    assert ack["error"]["code"] == "not_your_hand"
    ack = call(mod, "decide_hand", {"hand_id": hand_id, "accept": True, "video_allowed": False})
    assert ack["ok"] and ack["data"]["speaker"]["kind"] == "attendee"
    assert ack["data"]["speaker"]["video_allowed"] is False and ack["data"]["speaker"]["remote"] is True
    mine = [m for m in events(aminata) if m["kind"] == "hand"]
    assert mine[-1]["hand"]["status"] == "accepted" and mine[-1]["hand"]["mine"]
    assert [m["kind"] for m in events(karim)] == ["state"]  # the list changed; not Aminata's hand
    ack = call(mod, "decide_hand", {"hand_id": hand_id, "accept": False})
    assert ack["error"]["code"] == "hand_not_pending"


def test_moderator_events_refused_to_everyone_else(app, floor, connect, mod):
    a, _b = _add_panelists(mod, floor)
    hand = call(connect({"ticket": floor.tickets[0]}), "raise_hand", {"session_id": floor.session.id})
    hand_id = hand["data"]["hand"]["id"]
    sid = floor.session.id
    bodies = {
        "add_speaker": {"session_id": sid, "kind": "moderator"}, "update_speaker": {"speaker_id": a},
        "remove_speaker": {"speaker_id": a}, "move_speaker": {"speaker_id": a, "direction": "down"},
        "start": {"speaker_id": a}, "interject": {"speaker_id": a}, "pause": {"session_id": sid},
        "resume": {"session_id": sid}, "end": {"session_id": sid},
        "settings": {"session_id": sid, "show_timer_on_screen": True, "hands_open": True},
        "delegation": {"session_id": sid, "name": "X"}, "decide_hand": {"hand_id": hand_id, "accept": True},
    }
    token = pan.make_link_token(floor.mali)
    others = {
        "attendee": connect({"ticket": floor.tickets[1]}), "viewer": connect(),
        "panelist": connect({"panelist_token": token}),
        "outsider": connect(http=signed_in(app, floor.outsider)),
    }
    for who, client in others.items():
        for event, body in bodies.items():
            ack = call(client, event, body)
            assert ack["ok"] is False and ack["error"]["code"] == "not_moderator", (who, event, ack)
    # The organizer may.
    organizer = connect(http=signed_in(app, floor.organizer))
    assert call(organizer, "start", {"speaker_id": a})["ok"]


def test_bad_payloads_get_exact_error_codes(floor, connect, mod):
    a, _b = _add_panelists(mod, floor)
    cases = [
        ("join", "nope", "invalid_payload"), ("join", {"session_id": "1"}, "invalid_payload"),
        ("join", {"session_id": 2**40}, "invalid_payload"), ("join", {"session_id": 999999}, "session_not_found"),
        ("start", {"speaker_id": a, "extra": 1}, "invalid_payload"), ("start", {}, "invalid_payload"),
        ("start", {"speaker_id": True}, "invalid_payload"), ("start", {"speaker_id": 99999}, "speaker_not_found"),
        ("start", [a], "invalid_payload"), ("pause", {"session_id": floor.session.id}, "no_running_speech"),
        ("move_speaker", {"speaker_id": a, "direction": "sideways"}, "invalid_payload"),
        ("move_speaker", {"speaker_id": a}, "invalid_position"),
        ("add_speaker", {"session_id": floor.session.id, "kind": "alien"}, "invalid_payload"),
        ("add_speaker", {"session_id": floor.session.id, "kind": "panelist", "panelist_id": 424242},
         "panelist_not_found"),
        ("add_speaker", {"session_id": floor.session.id, "kind": "attendee", "name": " "}, "invalid_speaker"),
        ("add_speaker", {"session_id": floor.session.id, "kind": "attendee", "name": "x",
                         "budget_seconds": 10**6}, "invalid_payload"),
        ("delegation", {"session_id": floor.session.id, "name": "X", "country": "1!"}, "invalid_delegation"),
        ("decide_hand", {"hand_id": 5555, "accept": True}, "hand_not_found"),
        ("decide_hand", {"hand_id": 1, "accept": "yes"}, "invalid_payload"),
        ("raise_hand", {"session_id": floor.session.id, "topic": 5}, "invalid_payload"),
        ("listen", {"session_id": floor.session.id, "language": "x" * 9}, "invalid_payload"),
        ("relay", {"source_channel_id": None}, "not_interpreter"),
        ("withdraw_hand", {"hand_id": 0}, "invalid_payload"),
    ]
    for event, body, code in cases:
        ack = call(mod, event, body)
        assert ack["ok"] is False and ack["error"]["code"] == code, (event, body, ack)
    ack = call(mod, "start")  # no payload at all
    assert ack["error"]["code"] == "invalid_payload"
    ack = call(connect(), "raise_hand", {"session_id": floor.session.id})  # a viewer without identity
    assert ack["error"]["code"] == "not_participant"


def test_replay_with_since_gets_what_was_missed_and_nothing_private(floor, connect, mod):
    phone = connect({"ticket": floor.tickets[1]})
    seq = join(phone, floor.session.id)["seq"]
    phone.disconnect(NS)
    a, _b = _add_panelists(mod, floor)
    call(mod, "start", {"speaker_id": a})
    asker = connect({"ticket": floor.tickets[0]})
    join(asker, floor.session.id)
    call(asker, "raise_hand", {"session_id": floor.session.id})  # private: moderators and the asker
    phone = connect({"ticket": floor.tickets[1]})
    data = join(phone, floor.session.id, since=seq)
    assert "snapshot" not in data
    assert [m["kind"] for m in data["missed"]] == ["state", "state", "state"]
    assert data["missed"][-1]["state"]["current"]["speaker_id"] == a
    mod_again = join(mod, floor.session.id, since=seq)
    assert [m["kind"] for m in mod_again["missed"]] == ["state", "state", "state", "hand"]
    asker_again = join(asker, floor.session.id, since=seq)
    assert asker_again["missed"][-1]["hand"]["mine"] is True
    too_far = join(phone, floor.session.id, since=10**6)
    assert "snapshot" in too_far


def test_connections_and_visibility(app, floor, connect):
    for auth in ({"ticket": "junk"}, {"participant": "junk"}, {"panelist_token": "junk"},
                 {"interpreter_token": "junk"}, {"panelist_token": 5}):
        with app.app_context():
            client = socketio.test_client(app, namespace=NS, auth=auth)
        assert not client.is_connected(NS), auth
    # A draft session is invisible to the audience; another event's panelist link is refused.
    with app.app_context():
        draft = db.session.get(AgendaSession, floor.other.id)
        draft.published_at = None
        commit()
    viewer = connect()
    assert call(viewer, "join", {"session_id": floor.other.id})["error"]["code"] == "session_not_found"
    with app.app_context():
        stranger = pan.create_panelist(floor.other_event, pan.PanelistData(name="Awa"))
        commit()
        token = pan.make_link_token(stranger)
    foreign = connect({"panelist_token": token})
    assert call(foreign, "join", {"session_id": floor.session.id})["error"]["code"] == "wrong_event"


def test_panelist_and_interpreter_join(app, floor, connect, mod):
    token = pan.make_link_token(floor.algeria)
    panelist = connect({"panelist_token": token})
    assert join(panelist, floor.session.id)["panelist_id"] == floor.algeria.id
    with app.app_context():
        session = db.session.get(AgendaSession, floor.session.id)
        ar = channels.add_channel(session, by=floor.moderator, language="ar")
        fr = channels.add_channel(session, by=floor.moderator, language="fr")
        commit()
        ar_token, ar_id, fr_id = channels.make_link_token(ar), ar.id, fr.id
    interpreter = connect({"interpreter_token": ar_token})
    data = join(interpreter, floor.session.id)
    assert data["interpreter"]["channel"]["language"] == "ar" and data["interpreter"]["source"]["source"] == "floor"
    assert [c["language"] for c in data["snapshot"]["channels"]] == ["ar", "fr"]
    ack = call(interpreter, "relay", {"source_channel_id": fr_id})
    assert ack["ok"] and ack["data"]["source"] == {"session_id": floor.session.id, "source": "channel",
                                                   "channel_id": fr_id}
    ack = call(interpreter, "relay", {"source_channel_id": ar_id})
    assert ack["error"]["code"] == "relay_loop"
    assert call(interpreter, "join", {"session_id": floor.other.id})["error"]["code"] == "wrong_session"
    listener = connect({"ticket": floor.tickets[0]})
    ack = call(listener, "listen", {"session_id": floor.session.id, "language": "ar"})
    assert ack["data"]["listen"]["source"] == "channel" and ack["data"]["listen"]["channel_id"] == ar_id
    ack = call(listener, "listen", {"session_id": floor.session.id, "language": None})
    assert ack["data"]["listen"]["source"] == "floor"


def test_signing_out_ends_the_moderators_floor_connection(app, floor, connect):
    http = signed_in(app, floor.moderator)
    client = connect(http=http)
    join(client, floor.session.id)
    assert client.is_connected(NS)
    http.post("/logout")
    assert not client.is_connected(NS)


def test_a_speaker_in_the_room_hands_the_floor_back_from_the_live_page(floor, connect, mod):
    """Given the floor from their seat (a hand raised "in the room"), the attendee's phone says "I've finished" over
    /floor: the speech ends for everyone; nobody else may end it, and bad payloads get exact error codes."""
    sid = floor.session.id
    aminata, karim, viewer = connect({"ticket": floor.tickets[0]}), connect({"ticket": floor.tickets[1]}), connect()
    hand = call(aminata, "raise_hand", {"session_id": sid, "topic": "La fibre", "in_room": True})["data"]["hand"]
    assert hand["remote"] is False
    speaker = call(mod, "decide_hand", {"hand_id": hand["id"], "accept": True})["data"]["speaker"]
    assert call(aminata, "finish_turn", {"session_id": sid})["error"]["code"] == "not_your_turn"  # not started
    speech_id = call(mod, "start", {"speaker_id": speaker["id"]})["data"]["speech_id"]
    for other in (karim, viewer, mod):  # another ticket, a viewer without identity, the moderator (ends with `end`)
        assert call(other, "finish_turn", {"session_id": sid})["error"]["code"] == "not_your_turn"
    for bad, code in (({"session_id": "x"}, "invalid_payload"), ({}, "invalid_payload"), (None, "invalid_payload"),
                      ({"session_id": 999_999}, "session_not_found")):
        assert call(aminata, "finish_turn", bad)["error"]["code"] == code
    join(karim, sid)
    karim.get_received(NS)
    ack = call(aminata, "finish_turn", {"session_id": sid})
    assert ack["ok"] and ack["data"]["speech_id"] == speech_id
    assert events(karim)[-1]["state"]["current"] is None  # everyone's page follows
    assert join(mod, sid)["snapshot"]["state"]["done"][0]["id"] == speaker["id"]
    assert call(aminata, "finish_turn", {"session_id": sid})["error"]["code"] == "not_your_turn"  # twice: over


def test_handing_the_floor_back_is_rate_limited_on_its_own_count(app, floor, connect, monkeypatch):
    """A page (or a script) calling `finish_turn` in a loop is cut off after the limit; asking for the floor keeps
    its own count."""
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "FLOOR_HAND_LIMIT", "2/minute")
    aminata = connect({"ticket": floor.tickets[0]})
    codes = [call(aminata, "finish_turn", {"session_id": floor.session.id})["error"]["code"] for _ in range(3)]
    assert codes == ["not_your_turn", "not_your_turn", "rate_limited"]
    assert call(aminata, "raise_hand", {"session_id": floor.session.id})["ok"]
