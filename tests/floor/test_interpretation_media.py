"""Interpretation audio through the sockets: the interpreter's `channel_media` and a listener's `listen` with
`media`, every refusal with its exact code, and against a real local Janus the AudioBridge rooms the service
creates (token ACL, AudioBridge-only tokens, the relay's source room) and destroys with the stage."""

from __future__ import annotations

import pytest

from eventhub.core.db import commit
from eventhub.extensions import db, socketio
from eventhub.floor import channels
from eventhub.floor.models import Channel
from eventhub.media.janus import AUDIOBRIDGE
from eventhub.media.pool import JanusPool, MediaPool, parse_servers
from eventhub.schedule.models import AgendaSession
from eventhub.stage import services as stage_svc
from eventhub.stage.models import StageRole, StageToken
from tests.floor.test_sockets import call, connect, join, mod  # noqa: F401 (fixtures)
from tests.media.fixtures import janus_setup  # noqa: F401 (the media area's shared Janus fixture)


@pytest.fixture
def media(app, janus_setup):  # noqa: F811 (the imported fixture)
    pool = JanusPool(parse_servers([janus_setup.server_entry()]))
    backend = MediaPool(pool, turn_urls=["turn:127.0.0.1:3478?transport=udp"], turn_secret="turn-test-secret",
                        turn_ttl=3600)
    saved = app.extensions.get("eventhub_media")
    app.extensions["eventhub_media"] = backend
    yield backend
    app.extensions["eventhub_media"] = saved


@pytest.fixture
def booths(app, floor):
    """Arabic and French channels of the session, and their interpreters' links."""
    with app.app_context():
        session = db.session.get(AgendaSession, floor.session.id)
        ar = channels.add_channel(session, by=floor.moderator, language="ar", interpreter_name="Leïla")
        fr = channels.add_channel(session, by=floor.moderator, language="fr")
        commit()
        return {"ar": (ar.id, channels.make_link_token(ar)), "fr": (fr.id, channels.make_link_token(fr))}


def _open_stage(app, floor, media):  # noqa: ANN001, ANN202
    with app.app_context():
        session = db.session.get(AgendaSession, floor.session.id)
        stage = stage_svc.open_stage(stage_svc.get_stage(session), by=floor.organizer, media=media)
        commit()
        return stage.id


def test_media_events_refuse_bad_input_and_the_wrong_people(app, floor, connect, mod, booths):  # noqa: F811
    sid = floor.session.id
    interpreter = connect({"interpreter_token": booths["ar"][1]})
    join(interpreter, sid)
    listener = connect({"ticket": floor.tickets[0]})
    join(listener, sid)
    cases = [
        (interpreter, "channel_media", "nope", "invalid_payload"),
        (interpreter, "channel_media", {}, "invalid_payload"),
        (interpreter, "channel_media", {"session_id": "1"}, "invalid_payload"),
        (interpreter, "channel_media", {"session_id": sid, "room": 1}, "invalid_payload"),
        (interpreter, "channel_media", {"session_id": floor.other.id}, "wrong_session"),
        (interpreter, "channel_media", {"session_id": sid}, "stage_closed"),  # no stage open: no rooms
        (mod, "channel_media", {"session_id": sid}, "not_interpreter"),
        (listener, "channel_media", {"session_id": sid}, "not_interpreter"),
        (listener, "listen", {"session_id": sid, "language": "ar", "media": "yes"}, "invalid_payload"),
        (listener, "listen", {"session_id": sid, "language": "ar", "media": 1}, "invalid_payload"),
        (listener, "listen", {"session_id": sid, "language": "ar", "media": True}, "stage_closed"),
        (mod, "listen", {"session_id": sid, "language": "ar", "media": True}, "ticket_required"),
        (connect(), "listen", {"session_id": sid, "language": "ar", "media": True}, "ticket_required"),
    ]
    for client, event, body, code in cases:
        ack = call(client, event, body)
        assert ack["ok"] is False and ack["error"]["code"] == code, (event, body, ack)
    # No channel in that language: the floor, and no media asked of anyone.
    ack = call(listener, "listen", {"session_id": sid, "language": "en", "media": True})
    assert ack["ok"] and ack["data"]["listen"]["source"] == "floor" and "media" not in ack["data"]["listen"]


def test_rooms_tokens_and_relay_in_janus(app, floor, connect, booths, media):  # noqa: F811
    sid = floor.session.id
    stage_id = _open_stage(app, floor, media)
    ar_id, ar_token = booths["ar"]
    _fr_id, fr_token = booths["fr"]
    interpreter = connect({"interpreter_token": ar_token})
    join(interpreter, sid)
    ack = call(interpreter, "channel_media", {"session_id": sid})
    assert ack["ok"], ack
    creds = ack["data"]
    assert creds["relay_room"] is None and creds["display"] == "Leïla" and creds["janus_urls"]
    with app.app_context():
        ar = db.session.get(Channel, ar_id)
        server, room, secret = ar.janus_server, ar.janus_room_id, ar.room_secret
        assert creds["room"] == room and secret and secret not in repr(creds)
        row = db.session.scalar(db.select(StageToken).where(StageToken.token == creds["token"]))
        assert row.role == StageRole.INTERPRETER and row.stage_id == stage_id and row.removed_at is None
    assert media.audio_room_exists(server, room)
    tokens = {t["token"]: t["allowed_plugins"] for t in media.pool.client(server).list_tokens()}
    assert tokens[creds["token"]] == [AUDIOBRIDGE]  # no VideoRoom: it cannot publish on the stage
    # The relay: the French booth takes the Arabic channel as source; its credentials open both rooms.
    relay = connect({"interpreter_token": fr_token})
    join(relay, sid)
    assert call(relay, "relay", {"source_channel_id": ar_id})["ok"]
    ack = call(relay, "channel_media", {"session_id": sid})
    assert ack["ok"], ack
    assert ack["data"]["relay_room"] == room and ack["data"]["room"] not in (None, room)
    fr_room = ack["data"]["room"]
    # A ticket holder listening in Arabic gets the same room, with a token of their own.
    listener = connect({"ticket": floor.tickets[0]})
    join(listener, sid)
    ack = call(listener, "listen", {"session_id": sid, "language": "ar", "media": True})
    assert ack["ok"], ack
    heard = ack["data"]["listen"]["media"]
    assert heard["room"] == room and heard["token"] not in (creds["token"],)
    with app.app_context():
        row = db.session.scalar(db.select(StageToken).where(StageToken.token == heard["token"]))
        assert row.role == StageRole.ATTENDEE and row.registration_id is not None
    # The stage ends: the channels' rooms go with it.
    with app.app_context():
        stage = stage_svc.get_stage(db.session.get(AgendaSession, sid))
        stage_svc.end_stage(stage, by=floor.organizer, media=media)
        commit()
        assert db.session.get(Channel, ar_id).janus_room_id is None
    assert not media.audio_room_exists(server, room) and not media.audio_room_exists(server, fr_room)
    assert call(interpreter, "channel_media", {"session_id": sid})["error"]["code"] == "stage_closed"


def test_the_interpreter_hears_the_floor_through_the_stage_namespace(app, floor, booths, media):
    _open_stage(app, floor, media)
    with app.app_context():
        bad = socketio
        client = bad.test_client(app, namespace="/stage", auth={"interpreter_token": booths["ar"][1]})
        assert client.is_connected("/stage")
        ack = client.emit("credentials", {"session_id": floor.session.id, "publish": False, "role": "interpreter"},
                          namespace="/stage", callback=True)
        assert ack["ok"] and ack["data"]["role"] == "interpreter" and ack["data"]["feed_id"] is None, ack
        ack = client.emit("credentials", {"session_id": floor.session.id, "publish": True, "role": "interpreter"},
                          namespace="/stage", callback=True)
        assert ack["error"]["code"] == "cannot_publish"
        ack = client.emit("credentials", {"session_id": floor.other.id, "publish": False, "role": "interpreter"},
                          namespace="/stage", callback=True)
        assert ack["error"]["code"] == "not_on_this_stage"
        client.disconnect("/stage")
        refused = bad.test_client(app, namespace="/stage", auth={"interpreter_token": "junk"})
        assert not refused.is_connected("/stage")
