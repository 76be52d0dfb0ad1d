"""eventhub.media.janus / rooms against a real Janus 1.1 (no mocks): sessions, rooms, ACLs, tokens, errors."""

from __future__ import annotations

import pytest

from eventhub.media import janus as j
from eventhub.media.janus import JanusClient, JanusError, JanusServer, JanusUnavailable
from eventhub.media.rooms import AudioBridgeAdmin, PluginHandle, VideoRoomAdmin, stage_room_id
from tests.media.fixtures import free_port


@pytest.fixture
def client(janus_server: JanusServer):
    c = JanusClient(janus_server, timeout=3)
    yield c
    c.close()


@pytest.fixture
def rooms(client: JanusClient):
    handle = PluginHandle(client, j.VIDEOROOM)
    yield VideoRoomAdmin(handle)
    handle.close()


def _bare(server: JanusServer) -> JanusClient:
    """A client with no api secret: what a browser is (it only has its token)."""
    return JanusClient(JanusServer(name="browser", url=server.url), timeout=3)


def test_session_lifecycle(client: JanusClient) -> None:
    assert client.info()["version_string"].startswith("1.")
    sid = client.create_session()
    hid = client.attach(sid, j.VIDEOROOM)
    client.keepalive(sid)
    client.detach(sid, hid)
    client.destroy_session(sid)
    with pytest.raises(JanusError) as err:
        client.keepalive(sid)
    assert err.value.code == j.ERR_SESSION_NOT_FOUND


def test_no_secret_no_token_is_refused_by_janus(janus_server: JanusServer) -> None:
    with pytest.raises(JanusError) as err:
        _bare(janus_server).create_session()
    assert err.value.code == j.ERR_UNAUTHORIZED
    wrong = JanusClient(JanusServer(name="x", url=janus_server.url, api_secret="zz-not-the-secret"), timeout=3)
    with pytest.raises(JanusError) as err:
        wrong.create_session()
    assert err.value.code == j.ERR_UNAUTHORIZED
    assert "zz-not" not in str(err.value)  # the secret is not echoed


def test_unreachable_server_is_typed_and_bounded() -> None:
    dead = JanusClient(JanusServer(name="dead", url=f"http://127.0.0.1:{free_port()}/janus"), timeout=1)
    with pytest.raises(JanusUnavailable) as err:
        dead.create_session()
    assert err.value.code == 0


def test_videoroom_create_exists_acl_destroy(rooms: VideoRoomAdmin) -> None:
    room = stage_room_id(101)
    created = rooms.create(room, secret="s3cret", publishers=3, allowed=["tok-a"], description="Opening")
    assert created["videoroom"] == "created" and created["permanent"] is False
    assert rooms.exists(room)
    with pytest.raises(JanusError) as err:
        rooms.create(room, secret="s3cret")
    assert err.value.code == j.VIDEOROOM_ROOM_EXISTS
    rooms.allow(room, secret="s3cret", tokens=["tok-b"])
    assert sorted(rooms.allowed(room, secret="s3cret")) == ["tok-a", "tok-b"]
    rooms.disallow(room, secret="s3cret", tokens=["tok-a"])
    assert rooms.allowed(room, secret="s3cret") == ["tok-b"]
    with pytest.raises(JanusError) as err:
        rooms.allow(room, secret="wrong", tokens=["x"])
    assert err.value.code == j.VIDEOROOM_UNAUTHORIZED
    assert rooms.participants(room) == []
    assert rooms.kick(room, secret="s3cret", participant_id=12345) is False
    rooms.edit(room, secret="s3cret", new_publishers=4)
    with pytest.raises(JanusError) as err:
        rooms.destroy(room, secret="wrong")
    assert err.value.code == j.VIDEOROOM_UNAUTHORIZED
    assert rooms.destroy(room, secret="s3cret") is True
    assert rooms.destroy(room, secret="s3cret") is False
    assert not rooms.exists(room)
    with pytest.raises(JanusError) as err:
        rooms.participants(room)
    assert err.value.code == j.VIDEOROOM_NO_SUCH_ROOM


def test_audiobridge_rooms(client: JanusClient) -> None:
    handle = PluginHandle(client, j.AUDIOBRIDGE)
    bridge = AudioBridgeAdmin(handle)
    try:
        room = stage_room_id(102)
        assert bridge.create(room, secret="s", allowed=["t"])["audiobridge"] == "created"
        assert bridge.exists(room)
        bridge.allow(room, secret="s", tokens=["u"])
        bridge.disallow(room, secret="s", tokens=["t"])
        assert bridge.participants(room) == []
        assert bridge.destroy(room, secret="s") is True
        assert bridge.destroy(room, secret="s") is False
    finally:
        handle.close()


def test_tokens_gate_the_core_api_and_plugins(client: JanusClient, janus_server: JanusServer) -> None:
    browser = _bare(janus_server)
    client.add_token("tok-core", [j.VIDEOROOM])
    try:
        assert {"token": "tok-core", "allowed_plugins": [j.VIDEOROOM]} in client.list_tokens()
        sid = int(browser.request("", {"janus": "create", "token": "tok-core"})["data"]["id"])
        with pytest.raises(JanusError) as err:  # the token may not use the AudioBridge
            browser.request(str(sid), {"janus": "attach", "plugin": j.AUDIOBRIDGE, "token": "tok-core"})
        assert err.value.code == 405
        hid = int(browser.request(str(sid), {"janus": "attach", "plugin": j.VIDEOROOM,
                                              "token": "tok-core"})["data"]["id"])
        # A browser cannot create rooms: the plugin wants the admin_key only the app has.
        reply = browser.request(f"{sid}/{hid}", {"janus": "message", "token": "tok-core",
                                                 "body": {"request": "create", "room": 4242}})
        assert reply["plugindata"]["data"]["error_code"] == 429
        client.remove_token("tok-core")
        with pytest.raises(JanusError) as err:  # revoked: the very next request is refused
            browser.request(str(sid), {"janus": "keepalive", "token": "tok-core"})
        assert err.value.code == j.ERR_UNAUTHORIZED
    finally:
        client.remove_token("tok-core")  # idempotent
    assert all(t["token"] != "tok-core" for t in client.list_tokens())


def test_admin_requests(client: JanusClient) -> None:
    client.set_session_timeout(15)
    assert client.get_status()["session_timeout"] == 15
    sid = client.create_session()
    assert sid in client.list_sessions()
    client.destroy_session(sid)
    bad = JanusClient(JanusServer(name="x", url=client.server.url, admin_url=client.server.admin_url,
                                  admin_secret="wrong"), timeout=3)
    with pytest.raises(JanusError) as err:
        bad.list_tokens()
    assert err.value.code == j.ERR_UNAUTHORIZED


def test_plugin_handle_recovers_a_lost_session(client: JanusClient, rooms: VideoRoomAdmin) -> None:
    room = stage_room_id(103)
    rooms.create(room, secret="s")
    assert rooms.handle.session_id is not None
    client.destroy_session(rooms.handle.session_id)  # as after a Janus session timeout
    assert rooms.exists(room)  # re-created the session and handle behind the scenes
    rooms.handle.keepalive()
    assert rooms.destroy(room, secret="s")
