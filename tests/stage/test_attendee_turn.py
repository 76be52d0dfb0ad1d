"""A remote attendee given the floor: the publish right (the room's ACL and a publishing token) exists only for
their accepted turn, is granted when they ask during it and is revoked (kicked, out of the ACL, token gone from
Janus) when it ends. Against a real local Janus."""

from __future__ import annotations

import contextlib
import time

import pytest
import requests

from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.floor import hands, speeches
from eventhub.media.janus import VIDEOROOM, JanusClient, JanusError, JanusServer
from eventhub.qa import participants as pt
from eventhub.stage import access, credentials
from eventhub.stage.models import ParticipantState, StageParticipant, StageRole, StageToken
from tests.helpers import domain_error_code


def _publisher_join(media, server: str, token: str, room: int, feed: int) -> dict:  # noqa: ANN001
    """What a browser would do with `token` (and no API secret): create a session, attach the VideoRoom, join as
    publisher; returns the join's event data (`videoroom: joined` or `error_code`)."""
    url = media.pool.get(server).url.rstrip("/")
    browser = JanusClient(JanusServer(name="browser", url=url), timeout=3)
    sid = int(browser.request("", {"janus": "create", "token": token})["data"]["id"])
    try:
        hid = int(browser.request(str(sid), {"janus": "attach", "plugin": VIDEOROOM, "token": token})["data"]["id"])
        browser.request(f"{sid}/{hid}", {"janus": "message", "token": token, "transaction": "join-1", "body": {
            "request": "join", "ptype": "publisher", "room": room, "id": feed, "display": "x", "token": token}})
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            events = requests.get(f"{url}/{sid}", params={"token": token, "maxev": 5}, timeout=6).json()
            for event in events if isinstance(events, list) else [events]:
                if event.get("transaction") == "join-1" and event.get("janus") == "event":
                    return event["plugindata"]["data"]
        raise AssertionError("no answer to the join")
    finally:
        with contextlib.suppress(JanusError):
            browser.request(str(sid), {"janus": "destroy", "token": token})


def _displays(media, stage) -> list:  # noqa: ANN001
    return [p.get("display") for p in media.list_participants(stage.janus_server, stage.janus_room_id)]


def _until(predicate, what: str, timeout: float = 5.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _accept(world, ticket: str, *, video: bool = False):  # noqa: ANN001, ANN202
    hand = hands.raise_hand(world.session, pt.from_ticket(ticket), "Une question sur le corridor")
    commit()
    speaker = hands.decide(hand, by=world.moderator, accept=True, video_allowed=video)
    commit()
    return hand, speaker


def test_attendee_publishes_only_during_the_accepted_turn(world, media, open_stage):
    stage = open_stage
    remote = access.ticket_holder(world.tickets["remote"])
    other = access.ticket_holder(world.tickets["room"])
    hand, speaker = _accept(world, world.tickets["remote"])
    # Accepted but not started: no right yet.
    assert domain_error_code(credentials.issue, stage, remote, publish=True, media=media) == "attendee_cannot_publish"
    speeches.start(speaker, by=world.moderator)
    commit()
    row = db.session.scalar(db.select(StageParticipant).where(StageParticipant.stage_id == stage.id,
                                                              StageParticipant.role == StageRole.ATTENDEE))
    assert row is not None and row.state == ParticipantState.LIVE and row.hand_id == hand.id
    assert row.video_allowed is False and row.display == "Attendee remote"
    # Somebody else whose hand was not accepted is refused, in the app and (with a receive token) by Janus.
    assert domain_error_code(credentials.issue, stage, other, publish=True, media=media) == "attendee_cannot_publish"
    watcher = credentials.issue(stage, other, publish=False, media=media)
    commit()
    assert watcher["feed_id"] is None
    refused = _publisher_join(media, stage.janus_server, watcher["token"], stage.janus_room_id, row.feed_id + 100)
    assert refused.get("error_code") == 433  # not in the room's allowed list
    # The speaker's own publish right: their feed id, their token in the room's ACL.
    creds = credentials.issue(stage, remote, publish=True, media=media)
    commit()
    assert creds["publish"] is True and creds["feed_id"] == row.feed_id and creds["participant_id"] == row.id
    assert creds["video_allowed"] is False
    # Audio only in Janus too: the app's guard sits in the room (a participant that never publishes), ready to mute
    # any video stream this feed publishes (tests/media/test_media_floor.py shows a crafted client's video muted).
    guard = media.audio_only_guard(stage.janus_server, stage.janus_room_id)
    assert guard is not None and guard.feeds() == {row.feed_id}
    _until(lambda: "eventhub-guard" in _displays(media, stage), "the guard is in the room")
    acl = media.pool.videoroom(stage.janus_server).allowed(stage.janus_room_id, secret=stage.room_secret)
    assert creds["token"] in acl and watcher["token"] not in acl
    joined = _publisher_join(media, stage.janus_server, creds["token"], stage.janus_room_id, row.feed_id)
    assert joined.get("videoroom") == "joined", joined
    # The turn ends: backstage, token removed (from the ACL and from Janus), no new right.
    speeches.end(world.session, by=world.moderator)
    commit()
    db.session.refresh(row)
    assert row.state == ParticipantState.BACKSTAGE
    token_row = db.session.scalar(db.select(StageToken).where(StageToken.token == creds["token"]))
    assert token_row.removed_at is not None
    acl = media.pool.videoroom(stage.janus_server).allowed(stage.janus_room_id, secret=stage.room_secret)
    assert creds["token"] not in acl
    assert all(t["token"] != creds["token"] for t in media.pool.client(stage.janus_server).list_tokens())
    with pytest.raises(JanusError) as err:
        _publisher_join(media, stage.janus_server, creds["token"], stage.janus_room_id, row.feed_id)
    assert err.value.code == 403
    assert domain_error_code(credentials.issue, stage, remote, publish=True, media=media) == "attendee_cannot_publish"
    assert guard.feeds() == set()
    _until(lambda: "eventhub-guard" not in _displays(media, stage), "the guard left the room", timeout=10)
    # The watcher's receive-only token was not touched by the end of somebody else's turn.
    assert db.session.scalar(db.select(StageToken).where(StageToken.token == watcher["token"])).removed_at is None
    # A later turn gets a new feed id: a guard left for the old one in another process can never touch it.
    old_feed = row.feed_id
    _hand, again = _accept(world, world.tickets["remote"])
    speeches.start(again, by=world.moderator)
    commit()
    db.session.refresh(row)
    assert row.state == ParticipantState.LIVE and row.feed_id != old_feed


def test_video_follows_the_moderators_choice_and_in_room_hands_get_no_media(world, media, open_stage):
    stage = open_stage
    _hand, speaker = _accept(world, world.tickets["remote"], video=True)
    speeches.start(speaker, by=world.moderator)
    commit()
    creds = credentials.issue(stage, access.ticket_holder(world.tickets["remote"]), publish=True, media=media)
    commit()
    assert creds["video_allowed"] is True
    guard = media.audio_only_guard(stage.janus_server, stage.janus_room_id)
    assert guard is None or guard.feeds() == set()  # video allowed: nothing to mute
    # Someone in the hall asking from their phone speaks into the hall's microphone: no stage row, no right.
    hand = hands.raise_hand(world.session, pt.from_ticket(world.tickets["room"]), "", in_room=True)
    commit()
    in_room = hands.decide(hand, by=world.moderator, accept=True)
    commit()
    speeches.start(in_room, by=world.moderator)
    commit()
    rows = list(db.session.scalars(db.select(StageParticipant).where(StageParticipant.role == StageRole.ATTENDEE)))
    assert [r.state for r in rows] == [ParticipantState.BACKSTAGE]  # the first speaker's turn ended
    assert domain_error_code(credentials.issue, stage, access.ticket_holder(world.tickets["room"]), publish=True,
                 media=media) == "attendee_cannot_publish"
