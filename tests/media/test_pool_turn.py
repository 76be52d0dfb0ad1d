"""Pool of real Janus servers (placement, keepalive health, a server dying, token sweep), TURN credentials
(checked against openssl's HMAC), JANUS_SERVERS parsing, the generated config, the app wiring."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time

import pytest
from blinker import Namespace

from config import TestingConfig
from eventhub import create_app
from eventhub.media import launcher
from eventhub.media.health import HealthLoop
from eventhub.media.janus import JanusServer
from eventhub.media.pool import JanusPool, MediaPool, NoJanusServer, parse_servers
from eventhub.media.tokens import new_token, token_expiry
from eventhub.media.turn import ice_servers, turn_credentials
from tests.media.fixtures import server_of, start_local_janus


@pytest.fixture
def second_janus():
    setup, proc = start_local_janus("second")
    yield setup, proc
    launcher.stop(proc)


def test_least_loaded_placement_and_failover(janus_server: JanusServer, second_janus) -> None:
    setup2, proc2 = second_janus
    second = server_of(setup2)
    downs: list[tuple[str, list[int]]] = []
    ups: list[str] = []
    pool = JanusPool([janus_server, second], timeout=2, failures=2,
                     on_down=lambda name, stages: downs.append((name, stages)), on_up=ups.append)
    try:
        assert pool.check_all() == {janus_server.name: True, second.name: True}
        placed = [pool.assign(stage).name for stage in (1, 2, 3, 4)]
        assert placed == [janus_server.name, second.name, janus_server.name, second.name]
        assert pool.pick(load={janus_server.name: 5, second.name: 9}).name == janus_server.name
        assert pool.stages_on(second.name) == [2, 4]

        launcher.stop(proc2)  # the second server dies
        assert pool.check(second.name) is True  # one missed keepalive is tolerated…
        assert pool.check(second.name) is False  # …the second takes it out
        assert downs == [(second.name, [2, 4])]
        assert pool.healthy() == [janus_server]
        assert pool.pick(exclude=()).name == janus_server.name
        with pytest.raises(NoJanusServer):
            pool.pick(exclude=[janus_server.name])
        assert pool.check(second.name) is False and len(downs) == 1  # sent once

        proc2b = launcher.start(setup2)  # back on the same port and secrets
        try:
            assert pool.check(second.name) is True
            assert ups == [second.name]
        finally:
            launcher.stop(proc2b)
    finally:
        pool.close()


def test_health_loop_sends_the_signal_in_its_wrap(janus_server: JanusServer, second_janus, app, monkeypatch) -> None:
    """A signal of its own: the app's janus_server_down has the stage area's receiver connected once an app was
    created in this process, and that one needs the app context the real wrap (setup.register) provides."""
    setup2, proc2 = second_janus
    received: list[tuple[str, list[int]]] = []
    server_down = Namespace().signal("test-janus-server-down")

    def receiver(sender: str, stages: list[int]) -> None:
        received.append((sender, stages))

    server_down.connect(receiver)
    pool = JanusPool([janus_server, server_of(setup2)], timeout=1, failures=1,
                     on_down=lambda name, stages: server_down.send(name, stages=stages))
    monkeypatch.setitem(app.config, "JANUS_HEALTH_INTERVAL", 0.2)
    loop = HealthLoop(app, pool, sweep_every=0)
    try:
        pool.assign(7, setup2.name)
        loop.start()
        assert loop.running
        launcher.stop(proc2)
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert received == [(setup2.name, [7])]
    finally:
        loop.stop()
        server_down.disconnect(receiver)
        pool.close()
    assert not loop.running


def test_expired_tokens_are_swept_from_janus(janus_server: JanusServer) -> None:
    pool = JanusPool([janus_server])
    client = pool.client(janus_server.name)
    now = time.time()
    old, fresh = new_token(ttl=10, now=now - 60), new_token(ttl=600, now=now)
    assert token_expiry(old) == int(now - 50)
    for token in (old, fresh, "someone-elses-token"):
        client.add_token(token, ["janus.plugin.videoroom"])
    try:
        assert pool.sweep_tokens(now=now) == 1
        left = {t["token"] for t in client.list_tokens()}
        assert old not in left and {fresh, "someone-elses-token"} <= left
    finally:
        for token in (fresh, "someone-elses-token"):
            client.remove_token(token)
        pool.close()


def test_media_pool_facade_places_and_moderates(janus_server: JanusServer) -> None:
    media = MediaPool(JanusPool([janus_server]), turn_urls=["turn:127.0.0.1:3478?transport=udp"],
                      turn_secret="t-secret", turn_ttl=60)
    try:
        name = media.place_room(room_id=555, publishers=2, secret="room-secret-x", description="x", allowed=["p1"])
        assert name == janus_server.name and media.room_exists(name, 555)
        # placed again (an app restart): the leftover room is replaced
        assert media.place_room(room_id=555, publishers=2, secret="room-secret-x", description="x", allowed=[]) == name
        media.allow(name, 555, "room-secret-x", ["p2"], add=True)
        assert media.pool.videoroom(name).allowed(555, secret="room-secret-x") == ["p2"]
        media.add_token(name, "tk")
        media.remove_token(name, "tk")
        assert media.list_publisher_ids(name, 555) == []
        cfg = media.browser_config(name, user="s1-p2")
        assert cfg["janus_urls"] == [janus_server.url] == media.public_urls()
        assert cfg["ice_servers"][0]["username"].endswith(":s1-p2")
        assert "room-secret-x" not in json.dumps(cfg) and janus_server.api_secret not in json.dumps(cfg)
        media.destroy_room(name, 555, "room-secret-x")
        media.destroy_room(name, 555, "room-secret-x")  # idempotent
        assert not media.room_exists(name, 555)
    finally:
        media.pool.close()


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl not installed")
def test_turn_rest_credentials_match_openssl() -> None:
    username, password = turn_credentials("shared-secret", "s12-p34", ttl=3600, now=1_800_000_000)
    assert username == "1800003600:s12-p34"
    digest = subprocess.run(["openssl", "dgst", "-sha1", "-hmac", "shared-secret", "-binary"], input=username.encode(),
                            capture_output=True, check=True, timeout=10).stdout
    assert password == base64.b64encode(digest).decode()
    servers = ice_servers(["turn:t:3478?transport=udp", "turn:t:3478?transport=tcp", "turns:t:443?transport=tcp"],
                          "shared-secret", "s12-p34", ttl=3600, now=1_800_000_000, stun_urls=["stun:t:3478"])
    assert servers == [{"urls": ["stun:t:3478"]},
                       {"urls": ["turn:t:3478?transport=udp", "turn:t:3478?transport=tcp", "turns:t:443?transport=tcp"],
                        "username": username, "credential": password}]
    assert ice_servers(["turn:t"], None, "x") == []


def test_janus_servers_parsing() -> None:
    pipe = parse_servers("http://a:8088/janus|s1|http://a:7088/admin|a1, "
                         "http://b:8088/janus|s2|http://b:7088/admin|a2|https://media.example.org/janus")
    assert [s.name for s in pipe] == ["a:8088", "b:8088"]
    assert pipe[1].browser_url == "https://media.example.org/janus" and pipe[0].browser_url == "http://a:8088/janus"
    assert "s1" not in repr(pipe[0]) and "a1" not in repr(pipe[0])  # secrets stay out of logs and reprs
    js = parse_servers('[{"name": "j1", "url": "http://a/janus", "api_secret": "x"}]')
    assert js == [JanusServer(name="j1", url="http://a/janus", api_secret="x")]
    assert parse_servers("") == []
    with pytest.raises(ValueError, match="url\\|api_secret"):
        parse_servers("http://a/janus|only-two")
    with pytest.raises(ValueError, match="share a name"):
        parse_servers('[{"name": "j", "url": "http://a"}, {"name": "j", "url": "http://b"}]')


def test_generated_config_loads_only_what_the_stage_needs(tmp_path) -> None:
    setup = launcher.write_config(launcher.JanusSetup(config_dir=str(tmp_path / "j"), ice_enforce_list="v0"))
    jcfg = (tmp_path / "j" / "janus.jcfg").read_text()
    assert "token_auth = true" in jcfg and "session_timeout = 15" in jcfg and 'ice_enforce_list = "v0"' in jcfg
    for gone in ("libjanus_websockets.so", "libjanus_pfunix.so", "libjanus_mqtt.so", "libjanus_echotest.so"):
        if gone in " ".join(launcher._libs("plugins") + launcher._libs("transports")):
            assert gone in jcfg
    assert "libjanus_videoroom.so" not in jcfg.split("plugins: {")[1].split("}")[0]
    assert sorted(p.name for p in (tmp_path / "j").glob("*.jcfg")) == [
        "janus.jcfg", "janus.plugin.audiobridge.jcfg", "janus.plugin.streaming.jcfg", "janus.plugin.videoroom.jcfg",
        "janus.transport.http.jcfg"]
    assert f"admin_key = \"{setup.api_secret}\"" in (tmp_path / "j" / "janus.plugin.streaming.jcfg").read_text()
    assert f"admin_key = \"{setup.api_secret}\"" in (tmp_path / "j" / "janus.plugin.videoroom.jcfg").read_text()
    assert 'admin_ip = "127.0.0.1"' in (tmp_path / "j" / "janus.transport.http.jcfg").read_text()


def test_app_wiring(janus_setup) -> None:
    cfg = TestingConfig()
    cfg.JANUS_SERVERS = json.dumps([janus_setup.server_entry()])
    app = create_app(cfg)
    media = app.extensions["eventhub_media"]
    assert isinstance(media, MediaPool) and media.available
    loop = app.extensions["janus_health"]
    assert not loop.running  # tests drive it
    loop.run_once()
    assert media.pool.is_up(janus_setup.name)
    media.pool.close()
    assert create_app(TestingConfig()).extensions["eventhub_media"] is None
