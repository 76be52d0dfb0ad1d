"""Interpretation audio through the sockets: the interpreter's `channel_media` and a listener's `listen` with
`media`, every refusal with its exact code, and against a real local Janus the channels the service creates (an
AudioBridge room only the interpreter may join, a Streaming mountpoint fed by it that listeners and a relaying
interpreter watch) and destroys with the stage; Janus itself refuses a listener's token at the AudioBridge (405)
and a relaying interpreter's token in the source channel's room (489)."""

from __future__ import annotations

import contextlib
import time

import pytest
import requests

from eventhub.core.db import commit
from eventhub.core.errors import DomainError
from eventhub.extensions import db, socketio
from eventhub.floor import channels
from eventhub.floor.models import Channel
from eventhub.media.channels import listen_pin
from eventhub.media.janus import AUDIOBRIDGE, STREAMING, JanusClient, JanusError, JanusServer
from eventhub.schedule.models import AgendaSession
from eventhub.stage import services as stage_svc
from eventhub.stage.models import StageRole, StageToken
from tests.floor.sockets import call, join


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


def _browser(media, server: str, token: str, plugin: str, body: dict) -> dict:  # noqa: ANN001
    """What a browser holding `token` (and no API secret) gets when it attaches to `plugin` and sends `body`: the
    plugin's event data (`joined`, `error_code`…). A refusal of the core (e.g. 405) raises JanusError."""
    url = media.pool.get(server).url.rstrip("/")
    browser = JanusClient(JanusServer(name="browser", url=url), timeout=3)
    sid = int(browser.request("", {"janus": "create", "token": token})["data"]["id"])
    try:
        hid = int(browser.request(str(sid), {"janus": "attach", "plugin": plugin, "token": token})["data"]["id"])
        browser.request(f"{sid}/{hid}", {"janus": "message", "token": token, "transaction": "b-1", "body": body})
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            events = requests.get(f"{url}/{sid}", params={"token": token, "maxev": 5}, timeout=6).json()
            for event in events if isinstance(events, list) else [events]:
                if event.get("transaction") == "b-1" and event.get("janus") == "event":
                    return event["plugindata"]["data"]
        raise AssertionError("no answer")
    finally:
        with contextlib.suppress(JanusError):
            browser.request(str(sid), {"janus": "destroy", "token": token})


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
    assert creds["relay_mountpoint"] is None and creds["display"] == "Leïla" and creds["janus_urls"]
    with app.app_context():
        ar = db.session.get(Channel, ar_id)
        server, room, secret = ar.janus_server, ar.janus_room_id, ar.room_secret
        assert creds["room"] == room and secret and secret not in repr(creds)
        row = db.session.scalar(db.select(StageToken).where(StageToken.token == creds["token"]))
        assert row.role == StageRole.INTERPRETER and row.stage_id == stage_id and row.removed_at is None
        assert row.channel_id == ar_id
    assert media.channel_exists(server, room, secret)
    tokens = {t["token"]: sorted(t["allowed_plugins"]) for t in media.pool.client(server).list_tokens()}
    assert tokens[creds["token"]] == sorted([AUDIOBRIDGE, STREAMING])  # no VideoRoom: no publishing on the stage
    joined = _browser(media, server, creds["token"], AUDIOBRIDGE, {"request": "join", "room": room,
                                                                    "token": creds["token"], "muted": False})
    assert joined.get("audiobridge") == "joined", joined  # the interpreter may speak into their channel
    # The relay: the French booth takes the Arabic channel as source; it watches the Arabic mountpoint and cannot
    # join the Arabic room (Janus: 433, not in the room's allowed list).
    relay = connect({"interpreter_token": fr_token})
    join(relay, sid)
    assert call(relay, "relay", {"source_channel_id": ar_id})["ok"]
    ack = call(relay, "channel_media", {"session_id": sid})
    assert ack["ok"], ack
    relayed = ack["data"]
    assert relayed["relay_mountpoint"] == room and relayed["pin"] == listen_pin(secret)
    assert relayed["room"] not in (None, room)
    fr_room = relayed["room"]
    refused = _browser(media, server, relayed["token"], AUDIOBRIDGE, {"request": "join", "room": room,
                                                                      "token": relayed["token"], "muted": False})
    assert refused.get("error_code") == 489, refused  # AudioBridge: unauthorized (not in the allowed list)
    watching = _browser(media, server, relayed["token"], STREAMING, {"request": "watch", "id": room,
                                                                     "pin": relayed["pin"]})
    assert watching.get("result", {}).get("status") == "preparing", watching
    # A ticket holder listening in Arabic watches the same mountpoint, with a token of their own that Janus does not
    # let near the AudioBridge (405: the token cannot use that plugin), so it cannot speak into the channel.
    listener = connect({"ticket": floor.tickets[0]})
    join(listener, sid)
    ack = call(listener, "listen", {"session_id": sid, "language": "ar", "media": True})
    assert ack["ok"], ack
    heard = ack["data"]["listen"]["media"]
    assert heard["mountpoint"] == room and heard["room"] is None and heard["pin"] == listen_pin(secret)
    assert heard["token"] != creds["token"] and secret not in repr(heard)
    tokens = {t["token"]: t["allowed_plugins"] for t in media.pool.client(server).list_tokens()}
    assert tokens[heard["token"]] == [STREAMING]
    with pytest.raises(JanusError) as refusal:
        _browser(media, server, heard["token"], AUDIOBRIDGE, {"request": "join", "room": room,
                                                              "token": heard["token"], "muted": False})
    assert refusal.value.code == 405
    watching = _browser(media, server, heard["token"], STREAMING, {"request": "watch", "id": room, "pin": heard["pin"]})
    assert watching.get("result", {}).get("status") == "preparing", watching
    assert _browser(media, server, heard["token"], STREAMING, {"request": "watch", "id": room}).get("error_code") \
        == 453  # the PIN is mandatory
    with app.app_context():
        row = db.session.scalar(db.select(StageToken).where(StageToken.token == heard["token"]))
        assert row.role == StageRole.ATTENDEE and row.registration_id is not None and row.channel_id is None
    # The stage ends: the channels go with it (rooms and mountpoints).
    with app.app_context():
        stage = stage_svc.get_stage(db.session.get(AgendaSession, sid))
        stage_svc.end_stage(stage, by=floor.organizer, media=media)
        commit()
        assert db.session.get(Channel, ar_id).janus_room_id is None
    assert not media.pool.audiobridge(server).exists(room) and not media.pool.audiobridge(server).exists(fr_room)
    assert not media.pool.streaming(server).exists(room, secret=secret)
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


def _join_and_stay(media, server: str, token: str, room: int) -> tuple[JanusClient, int]:  # noqa: ANN001
    """A booth joined to its channel's AudioBridge room with `token`, its Janus session left open."""
    url = media.pool.get(server).url.rstrip("/")
    browser = JanusClient(JanusServer(name="booth", url=url), timeout=3)
    sid = int(browser.request("", {"janus": "create", "token": token})["data"]["id"])
    hid = int(browser.request(str(sid), {"janus": "attach", "plugin": AUDIOBRIDGE, "token": token})["data"]["id"])
    browser.request(f"{sid}/{hid}", {"janus": "message", "token": token, "transaction": "j-1", "body": {
        "request": "join", "room": room, "token": token, "display": "booth", "muted": False}})
    return browser, sid


def _until(predicate, what: str, timeout: float = 5.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_revoking_the_interpreters_link_cuts_their_tokens_room_and_connections(app, floor, connect, booths,  # noqa: F811
                                                                               media):
    sid = floor.session.id
    _open_stage(app, floor, media)
    ar_id, ar_token = booths["ar"]
    _fr_id, fr_token = booths["fr"]
    interpreter = connect({"interpreter_token": ar_token})
    join(interpreter, sid)
    other = connect({"interpreter_token": fr_token})
    join(other, sid)
    creds = call(interpreter, "channel_media", {"session_id": sid})["data"]
    other_creds = call(other, "channel_media", {"session_id": sid})["data"]
    with app.app_context():
        hears = socketio.test_client(app, namespace="/stage", auth={"interpreter_token": ar_token})
        floor_creds = hears.emit("credentials", {"session_id": sid, "publish": False, "role": "interpreter"},
                                 namespace="/stage", callback=True)["data"]
    with app.app_context():
        ar = db.session.get(Channel, ar_id)
        server, room = ar.janus_server, ar.janus_room_id
        rows = db.session.scalars(db.select(StageToken).where(StageToken.channel_id == ar_id)).all()
        assert sorted(r.token for r in rows) == sorted([creds["token"], floor_creds["token"]])
    booth, booth_session = _join_and_stay(media, server, creds["token"], room)
    _until(lambda: len(media.audio_participants(server, room)) == 1, "the booth is in its room")
    # Someone else may not revoke it; the channel's moderator may.
    with app.app_context():
        channel = db.session.get(Channel, ar_id)
        with pytest.raises(DomainError) as refused:
            channels.revoke_link(channel, by=floor.outsider)
        assert refused.value.code == "not_moderator"
        db.session.rollback()
        channels.revoke_link(db.session.get(Channel, ar_id), by=floor.moderator)
        assert interpreter.is_connected("/floor") and hears.is_connected("/stage")  # nothing before the commit
        commit()
    # At once, not at the tokens' expiry: gone from Janus, out of the room, and the live connections ended.
    in_janus = {t["token"] for t in media.pool.client(server).list_tokens()}
    assert creds["token"] not in in_janus and floor_creds["token"] not in in_janus
    assert other_creds["token"] in in_janus  # the French booth is untouched
    _until(lambda: media.audio_participants(server, room) == [], "the booth was dropped from its room")
    with pytest.raises(JanusError) as gone:
        booth.request(str(booth_session), {"janus": "keepalive", "token": creds["token"]})
    assert gone.value.code in (403, 458)  # the token is refused, or its session is already gone with it
    assert not interpreter.is_connected("/floor") and not hears.is_connected("/stage")
    assert other.is_connected("/floor")
    with app.app_context():
        assert all(r.removed_at is not None for r in db.session.scalars(
            db.select(StageToken).where(StageToken.channel_id == ar_id)))
        assert not socketio.test_client(app, namespace="/stage", auth={"interpreter_token": ar_token}) \
            .is_connected("/stage")
    assert not connect({"interpreter_token": ar_token}).is_connected("/floor")
