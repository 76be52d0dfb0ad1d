"""The stage's upkeep against real Janus servers: a vanished room is re-created, a dead server's stages move to
another server (once, even when two processes react), the token sweep runs from the loop."""

from __future__ import annotations

from datetime import timedelta

import pytest

from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.media import launcher
from eventhub.media.pool import JanusPool, MediaPool, parse_servers
from eventhub.stage import access, credentials, upkeep
from eventhub.stage.models import Stage, StageBroadcast, StageToken
from tests.media.fixtures import start_local_janus


@pytest.fixture(scope="module")
def second_setup():
    setup, proc = start_local_janus("second")
    yield setup
    launcher.stop(proc)


@pytest.fixture
def two_servers(app, media, janus_setup, second_setup):
    pool = JanusPool(parse_servers([janus_setup.server_entry(), second_setup.server_entry()]))
    backend = MediaPool(pool, turn_urls=[], turn_secret=None, turn_ttl=600)
    app.extensions["eventhub_media"] = backend
    return backend


def test_reconcile_recreates_a_vanished_room(app, world, media, open_stage):
    stage = open_stage
    media.destroy_room(stage.janus_server, stage.janus_room_id, stage.room_secret)  # as if Janus restarted
    assert not media.room_exists(stage.janus_server, stage.janus_room_id)
    assert upkeep.reconcile(media) == {"kicked": 0, "recreated": 1, "audio_only": 0}
    assert media.room_exists(stage.janus_server, stage.janus_room_id)
    assert upkeep.reconcile(media) == {"kicked": 0, "recreated": 0, "audio_only": 0}


def test_a_dead_servers_stages_move_once(app, world, two_servers, open_stage):
    media = two_servers
    stage = open_stage
    old, room = stage.janus_server, stage.janus_room_id
    creds = credentials.issue(stage, access.ticket_holder(world.tickets["remote"]), publish=False, media=media)
    commit()
    seq = stage.seq
    assert upkeep.rehome(old, media) == [stage.id]
    db.session.expire_all()
    stage = db.session.get(Stage, stage.id)
    assert stage.janus_server != old and media.room_exists(stage.janus_server, room)
    assert db.session.scalar(db.select(StageToken).where(StageToken.token == creds["token"])).removed_at
    last = db.session.scalar(db.select(StageBroadcast).where(StageBroadcast.seq == seq + 1))
    assert last.payload["kind"] == "stage"
    assert upkeep.rehome(old, media) == []  # idempotent: every process's health loop sends the signal
    media.destroy_room(stage.janus_server, room, stage.room_secret)


def test_upkeep_round_sweeps_tokens(app, world, media, open_stage):
    stage = open_stage
    creds = credentials.issue(stage, access.ticket_holder(world.tickets["remote"]), publish=False, media=media)
    row = db.session.scalar(db.select(StageToken).where(StageToken.token == creds["token"]))
    row.expires_at = row.expires_at - timedelta(hours=1)
    commit()
    loop = app.extensions["stage_upkeep"]
    assert loop.run_once() == {"swept": 1, "kicked": 0, "recreated": 0, "audio_only": 0}
