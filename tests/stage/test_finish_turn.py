"""The speaker's own controls on the /stage namespace (Flask-SocketIO's test client, no Janus): "I've finished"
(`finish_turn`) by the speaking attendee's ticket or the speaking panelist's link, refused to everyone else with
`not_your_turn` and to bad payloads with `invalid_payload`, committed before the stage and the floor broadcast it;
and the speaking attendee's self-mute, shown to the managers like a panelist's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from eventhub.core.db import commit
from eventhub.core.types import utcnow
from eventhub.extensions import db
from eventhub.floor import hands, services, speeches
from eventhub.floor.models import Speech
from eventhub.qa import participants as pt
from eventhub.registration import services as reg
from eventhub.registration.models import Registration
from eventhub.stage.models import ParticipantState, StageParticipant, StageRole, StageToken
from tests.socket_clients import call, signed_in

NS = "/stage"


@pytest.fixture
def connect(socket_clients):  # noqa: ANN001, ANN201
    """`connect(auth=None, http=None)`: a /stage client in its own app context (the test's objects stay usable)."""
    return lambda auth=None, http=None: socket_clients(NS, auth, http)


def _call(sio, event: str, payload) -> dict:  # noqa: ANN001
    return call(sio, event, payload, namespace=NS)


def _attendee_speaking(world, ticket: str = "remote") -> Speech:  # noqa: ANN001
    """The remote ticket holder asked for the floor, the moderator accepted and started them (the stage brings
    their publisher row live)."""
    hand = hands.raise_hand(world.session, pt.from_ticket(world.tickets[ticket]), "Le corridor numérique")
    speaker = hands.decide(hand, by=world.moderator, accept=True)
    speech = speeches.start(speaker, by=world.moderator)
    commit()
    return speech


def _attendee_row() -> StageParticipant:
    db.session.expire_all()
    row = db.session.scalar(db.select(StageParticipant).where(StageParticipant.role == StageRole.ATTENDEE))
    assert row is not None
    return row


def _stage_messages(sio) -> list[dict]:  # noqa: ANN001
    return [m["args"][0] for m in sio.get_received(NS) if m["name"] == "stage"]


def test_the_speaking_attendee_finishes_and_every_screen_follows(app, world, stage, connect, socket_clients):
    sid = world.session.id
    speech = _attendee_speaking(world)
    assert _attendee_row().state == ParticipantState.LIVE
    screen = connect({"key": stage.screen_key})
    assert _call(screen, "join", {"session_id": sid, "role": "screen"})["ok"]
    console = socket_clients("/floor", None, signed_in(app, world.moderator))
    assert call(console, "join", {"session_id": sid}, namespace="/floor")["data"]["moderator"]
    screen.get_received(NS)
    console.get_received("/floor")
    me = connect({"ticket": world.tickets["remote"]})
    assert _call(me, "join", {"session_id": sid, "role": "attendee"})["ok"]
    ack = _call(me, "finish_turn", {"session_id": sid})
    assert ack == {"ok": True, "data": {"speech_id": speech.id}}
    # Committed: the database holds the end when the broadcasts go out.
    db.session.expire_all()
    assert db.session.get(Speech, speech.id).ended_at is not None
    assert _attendee_row().state == ParticipantState.BACKSTAGE  # the page hangs up on this
    seen = [m["participant"] for m in _stage_messages(screen) if m["kind"] == "participant"]
    assert seen and seen[-1]["role"] == "attendee" and seen[-1]["state"] == "backstage"
    floor = [m["args"][0] for m in console.get_received("/floor") if m["name"] == "floor"]
    assert floor and floor[-1]["state"]["current"] is None  # the moderator's console
    # Twice: the turn is over.
    assert _call(me, "finish_turn", {"session_id": sid})["error"]["code"] == "not_your_turn"


def test_nobody_else_may_finish_the_speakers_turn(app, world, stage, connect):
    sid = world.session.id
    speech = _attendee_speaking(world)
    others = {
        "another ticket holder": connect({"ticket": world.tickets["room"]}),
        "a panelist not speaking": connect({"panelist_token": world.minister_link}),
        "a stage manager": connect(http=signed_in(app, world.moderator)),
        "the screen": connect({"key": stage.screen_key}),
        "nobody": connect(),
    }
    codes = {who: _call(sio, "finish_turn", {"session_id": sid})["error"]["code"] for who, sio in others.items()}
    assert codes == dict.fromkeys(others, "not_your_turn")
    db.session.expire_all()
    assert db.session.get(Speech, speech.id).ended_at is None


@pytest.mark.parametrize("payload", [None, [], "x", {}, {"session_id": "1"}, {"session_id": True},
                                     {"session_id": 0}, {"session_id": 1, "speech_id": 1}])
def test_bad_payloads_get_an_error_ack(world, stage, connect, payload):
    _attendee_speaking(world)
    me = connect({"ticket": world.tickets["remote"]})
    ack = _call(me, "finish_turn", payload)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload"


def test_an_unknown_session_is_not_found(world, stage, connect):
    me = connect({"ticket": world.tickets["remote"]})
    assert _call(me, "finish_turn", {"session_id": 987654})["error"]["code"] == "session_not_found"


def test_a_ticket_revoked_during_the_turn_cannot_finish_it(world, stage, connect):
    speech = _attendee_speaking(world)
    me = connect({"ticket": world.tickets["remote"]})
    registration = db.session.get(Registration, pt.from_ticket(world.tickets["remote"]).registration_id)
    reg.revoke_ticket(registration)
    commit()
    assert _call(me, "finish_turn", {"session_id": world.session.id})["error"]["code"] == "ticket_revoked"
    db.session.expire_all()
    assert db.session.get(Speech, speech.id).ended_at is None


def test_the_speaking_panelist_finishes_by_their_link(world, stage, connect):
    sid = world.session.id
    entry = services.add_speaker(world.session, by=world.moderator, kind="panelist", panelist_id=world.minister.id)
    speech = speeches.start(entry, by=world.moderator)
    commit()
    minister = db.session.scalar(db.select(StageParticipant).where(StageParticipant.role == StageRole.PANELIST))
    assert minister.state == ParticipantState.LIVE
    panel = connect({"panelist_token": world.minister_link})
    assert _call(panel, "finish_turn", {"session_id": sid}) == {"ok": True, "data": {"speech_id": speech.id}}
    db.session.expire_all()
    assert db.session.get(StageParticipant, minister.id).state == ParticipantState.BACKSTAGE
    assert db.session.get(Speech, speech.id).ended_at is not None
    # A panelist of another session's panel has no turn here (and is not on this stage).
    stranger = connect({"panelist_token": world.offpanel_link})
    assert _call(stranger, "finish_turn", {"session_id": sid})["error"]["code"] == "not_your_turn"


def test_the_speaking_attendees_self_mute_reaches_the_managers(app, world, stage, connect):
    """As a panelist's: with the publishing token of their turn (what `credentials` gives them with Janus)."""
    sid = world.session.id
    _attendee_speaking(world)
    row = _attendee_row()
    token = "turn-token-0123456789"
    db.session.add(StageToken(stage_id=stage.id, token=token, role=StageRole.ATTENDEE, participant_id=row.id,
                              registration_id=row.registration_id, janus_server="none",
                              expires_at=utcnow() + timedelta(minutes=2)))
    commit()
    manager = connect(http=signed_in(app, world.moderator))
    assert _call(manager, "join", {"session_id": sid})["data"]["role"] == "manager"
    manager.get_received(NS)
    me = connect({"ticket": world.tickets["remote"]})
    ack = _call(me, "self_mute", {"session_id": sid, "token": token, "muted": True})
    assert ack["ok"] and ack["data"]["participant"]["self_muted"] is True
    seen = [m["participant"] for m in _stage_messages(manager) if m["kind"] == "participant"]
    assert seen[-1]["id"] == row.id and seen[-1]["self_muted"] is True
    assert _call(me, "self_mute", {"session_id": sid, "token": token, "muted": "yes"})["error"]["code"] == \
        "invalid_payload"
    # The turn ends (their tokens go), and the next turn starts unmuted, as their page does.
    speeches.end(world.session, by=world.moderator)
    commit()
    assert _call(me, "self_mute", {"session_id": sid, "token": token, "muted": False})["error"]["code"] == \
        "token_expired"
    _attendee_speaking(world)
    again = _attendee_row()
    assert again.id == row.id and again.state == ParticipantState.LIVE and again.self_muted is False
