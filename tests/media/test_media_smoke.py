"""The harness itself: plain janus.js in Debian's Chromium publishes the fake camera and microphone to a Janus
VideoRoom inside the namespace, another page subscribes and decodes them. No EventHub page involved."""

from __future__ import annotations

import time

import pytest

from eventhub.media.tokens import new_token
from eventhub.media.turn import ice_servers
from tests.media.conftest import MediaEnv, wait_until

pytestmark = pytest.mark.media

ROOM_SECRET = "smoke-room-secret"  # noqa: S105 (test value)


def _stats(page) -> dict:  # noqa: ANN001
    return page.evaluate("() => raw.stats()")


@pytest.fixture
def room(media_env: MediaEnv):
    rooms = media_env.videoroom()
    client = media_env.client()
    publisher, viewer = new_token(600), new_token(600)
    for token in (publisher, viewer):
        client.add_token(token, ["janus.plugin.videoroom"])
    number = 2_000_000 + len(media_env.procs) + id(rooms) % 100_000
    rooms.create(number, secret=ROOM_SECRET, publishers=3, allowed=[publisher])
    yield number, publisher, viewer, rooms
    rooms.destroy(number, secret=ROOM_SECRET)
    for token in (publisher, viewer):
        client.remove_token(token)
    rooms.handle.close()


def _open(new_page, media_env: MediaEnv):  # noqa: ANN001, ANN202
    page = new_page()
    page.goto(media_env.pages_url + "/raw.html")
    return page


def test_publish_and_subscribe_decode_video_and_audio(media_env: MediaEnv, new_page, room) -> None:  # noqa: ANN001
    number, publisher, viewer, rooms = room
    pub = _open(new_page, media_env)
    feed = pub.evaluate("cfg => raw.publish(cfg)", {"server": media_env.janus.url, "token": publisher,
                                                     "room": number, "display": "Minister"})
    assert feed
    # Janus lists a participant as a publisher once its PeerConnection is up, a moment after `publish` answers.
    wait_until(lambda: [p["id"] for p in rooms.participants(number) if p.get("publisher")] == [feed], 15,
               "Janus lists the publisher")

    sub = _open(new_page, media_env)
    sub.evaluate("cfg => raw.subscribe(cfg)", {"server": media_env.janus.url, "token": viewer, "room": number,
                                               "feed": feed})
    first = wait_until(lambda: (s := _stats(sub))["videoWidth"] > 0 and s["video"] and s["video"]["framesDecoded"] > 0
                       and s, 30, "subscriber decodes video")
    assert first["videoWidth"] == 640
    later = wait_until(lambda: (s := _stats(sub))["video"]["framesDecoded"] > first["video"]["framesDecoded"] + 10
                       and s["audio"] and s["audio"]["packets"] > (first["audio"] or {}).get("packets", 0) + 10
                       and s, 10, "video frames and audio packets keep coming")
    assert later["pair"]["localType"] == "host"
    assert later["audio"]["energy"] > 0  # the tone, not silence


def test_receive_only_token_cannot_publish(media_env: MediaEnv, new_page, room) -> None:  # noqa: ANN001
    number, _publisher, viewer, rooms = room
    page = _open(new_page, media_env)
    error = page.evaluate("cfg => raw.publish(cfg).then(() => null, e => e.message)",
                          {"server": media_env.janus.url, "token": viewer, "room": number})
    assert error == "Unauthorized (not in the allowed list)"
    assert rooms.participants(number) == []


def test_relay_only_through_coturn(media_env: MediaEnv, new_page, room) -> None:  # noqa: ANN001
    number, publisher, viewer, _rooms = room
    ice = ice_servers(media_env.coturn.urls, media_env.coturn.secret, "smoke", ttl=600)
    pub = _open(new_page, media_env)
    feed = pub.evaluate("cfg => raw.publish(cfg)", {"server": media_env.janus.url, "token": publisher,
                                                     "room": number, "iceServers": ice,
                                                     "iceTransportPolicy": "relay"})
    sub = _open(new_page, media_env)
    sub.evaluate("cfg => raw.subscribe(cfg)", {"server": media_env.janus.url, "token": viewer, "room": number,
                                               "feed": feed, "iceServers": ice, "iceTransportPolicy": "relay"})
    stats = wait_until(lambda: (s := _stats(sub))["videoWidth"] > 0 and s["pair"] and s["video"]["framesDecoded"] > 5
                       and s, 25, "subscriber decodes video through the relay")
    assert stats["pair"]["localType"] == "relay"
    assert _stats(pub)["pair"]["localType"] == "relay"


def test_moderate_mutes_the_audio_in_janus_and_kick_cuts_off(media_env: MediaEnv, new_page, room) -> None:  # noqa: ANN001
    number, publisher, viewer, rooms = room
    pub = _open(new_page, media_env)
    feed = pub.evaluate("cfg => raw.publish(cfg)", {"server": media_env.janus.url, "token": publisher,
                                                     "room": number})
    sub = _open(new_page, media_env)
    sub.evaluate("cfg => raw.subscribe(cfg)", {"server": media_env.janus.url, "token": viewer, "room": number,
                                               "feed": feed})
    wait_until(lambda: (s := _stats(sub))["audio"] and s["audio"]["packets"] > 20, 20, "audio flows")
    streams = rooms.publisher_streams(number, feed)
    assert sorted(st["type"] for st in streams) == ["audio", "video"]
    assert rooms.mute(number, secret=ROOM_SECRET, participant_id=feed, kind="audio") == 1

    def audio_packets() -> int:
        return _stats(sub)["audio"]["packets"]

    def frames() -> int:
        return _stats(sub)["video"]["framesDecoded"]

    # Muted in Janus: the subscriber's audio packet count stops growing while video goes on.
    settled = wait_until(lambda: _still(audio_packets), 10, "audio stops at the subscriber")
    video_before = frames()
    assert not _grows(audio_packets, settled, seconds=1.5)
    assert frames() > video_before
    rooms.mute(number, secret=ROOM_SECRET, participant_id=feed, kind="audio", mute=False)
    wait_until(lambda: audio_packets() > settled + 20, 10, "audio back after unmute")

    assert rooms.kick(number, secret=ROOM_SECRET, participant_id=feed) is True
    wait_until(lambda: not any(p.get("publisher") for p in rooms.participants(number)) or None, 10,
               "the kicked publisher is gone from Janus")
    assert rooms.publisher_streams(number, feed) == []


def _still(read) -> int | None:  # noqa: ANN001
    """The value when it did not change over 0.6 s."""
    first = read()
    time.sleep(0.6)
    return first if read() == first else None


def _grows(read, baseline: int, seconds: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if read() > baseline:
            return True
        time.sleep(0.1)
    return False
