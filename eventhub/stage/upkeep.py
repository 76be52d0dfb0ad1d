"""Keeping Janus in line with the database, in the background: expired and undeserved tokens removed, any
publisher whose id the app did not assign kicked, a room that vanished (Janus restarted) re-created, and the
stages of a Janus server that stopped answering moved to another one (clients rejoin by themselves: their Janus
session dies, they ask for new credentials, which name the new server)."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import update

from eventhub.core.db import commit
from eventhub.core.loops import BackgroundLoop, register_loop
from eventhub.core.types import utcnow
from eventhub.extensions import db
from eventhub.media.janus import JanusError
from eventhub.stage import broadcast as bc
from eventhub.stage import credentials
from eventhub.stage import services as svc
from eventhub.stage.models import ParticipantState, Stage, StageParticipant, StageRole, StageState, StageToken

log = logging.getLogger(__name__)
ACTIVE = (StageState.OPEN, StageState.LIVE)


def assigned_feeds(stage: Stage) -> set[int]:
    feeds: set[int] = set()
    for p in db.session.scalars(db.select(StageParticipant).where(StageParticipant.stage_id == stage.id,
                                                                  StageParticipant.state != ParticipantState.REMOVED)):
        feeds.update((p.feed_id, p.feed_id + 1))  # its camera and its screen share
    return feeds


def audio_only_feeds(stage: Stage) -> list[int]:
    """The feeds of attendees live on the stage without the moderator's leave to show video."""
    return list(db.session.scalars(db.select(StageParticipant.feed_id).where(
        StageParticipant.stage_id == stage.id, StageParticipant.role == StageRole.ATTENDEE,
        StageParticipant.state == ParticipantState.LIVE, StageParticipant.video_allowed.is_(False))))


def _publishers(stage: Stage) -> int:
    count = db.session.scalar(db.select(db.func.count()).select_from(StageParticipant)
                              .where(StageParticipant.stage_id == stage.id)) or 0
    return count + svc.PUBLISHER_MARGIN


def reconcile(media: svc.Media) -> dict[str, int]:
    """One pass over the active stages. Returns what it did (for logs and tests)."""
    done = {"kicked": 0, "recreated": 0, "audio_only": 0}
    for stage in db.session.scalars(db.select(Stage).where(Stage.state.in_(ACTIVE))):
        server, room = stage.janus_server, stage.janus_room_id
        if not server or not room or not media.is_healthy(server):
            continue
        try:
            if not media.room_exists(server, room):
                media.place_room(room_id=room, publishers=_publishers(stage), secret=stage.room_secret,
                                 description=svc.session_of(stage).title[:100], allowed=_live_publish_tokens(stage))
                done["recreated"] += 1
                continue
            allowed = assigned_feeds(stage)
            publishing = media.list_publisher_ids(server, room)
            for feed in publishing:
                if feed not in allowed:
                    media.kick(server, room, stage.room_secret, feed)
                    done["kicked"] += 1
            # The backstop of the audio-only guard (a guard lives in the process that issued the credentials):
            # a live attendee without the video right has every video stream muted in Janus.
            for feed in audio_only_feeds(stage):
                if feed in publishing:
                    media.moderate(server, room, stage.room_secret, feed, mute=True, kind="video")
                    done["audio_only"] += 1
        except JanusError:
            log.warning("stage %s: Janus %s did not answer the reconcile", stage.id, server)
    return done


def _live_publish_tokens(stage: Stage) -> list[str]:
    tokens = list(db.session.scalars(db.select(StageToken.token).where(
        StageToken.stage_id == stage.id, StageToken.removed_at.is_(None), StageToken.participant_id.is_not(None))))
    return tokens or ["-"]  # a placeholder keeps the ACL on


def rehome(server: str, media: svc.Media) -> list[int]:
    """Move every active stage of `server` to another server (same room id and secret). Idempotent and safe with
    several app processes: the conditional UPDATE lets one process win; a loser destroys its extra room."""
    moved = []
    query = db.select(Stage).where(Stage.state.in_(ACTIVE), Stage.janus_server == server)
    for stage in list(db.session.scalars(query)):
        try:
            new = media.place_room(room_id=stage.janus_room_id or 0, publishers=_publishers(stage),
                                   secret=stage.room_secret, description=svc.session_of(stage).title[:100],
                                   allowed=["-"], exclude=[server])
        except JanusError:
            log.error("stage %s: no Janus server to move to", stage.id)
            continue
        won = db.session.execute(update(Stage).where(Stage.id == stage.id, Stage.janus_server == server)
                                 .values(janus_server=new).execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
        if not won:  # another process moved it first: drop the room this one made, unless it is the same
            db.session.rollback()
            current = db.session.scalar(db.select(Stage.janus_server).where(Stage.id == stage.id))
            if current != new:
                try:
                    media.destroy_room(new, stage.janus_room_id or 0, stage.room_secret)
                except JanusError:
                    log.warning("stage %s: could not drop the extra room on %s", stage.id, new)
            continue
        db.session.refresh(stage)
        # Tokens on the dead server are gone with it; clients ask for new ones (the rejoin path).
        svc.remove_tokens(db.select(StageToken).where(StageToken.stage_id == stage.id,
                                                      StageToken.janus_server == server), utcnow())
        bc.record_stage(stage)
        commit()
        moved.append(stage.id)
    return moved


def mark_reconnecting(app: Flask, publishing: dict[int, int], reported: dict[int, datetime] | None = None) -> None:
    """A publisher's socket dropped (`publishing`: stage id → participant id): "reconnecting" for the managers until
    the page reports again. A task of its own (started by the /stage namespace's disconnect), so its own unit.
    `reported`: when that socket last reported, per stage. A report since then came from another socket of theirs
    (a page that moved from Wi-Fi to 4G reports on its new socket before the server notices the old one is gone):
    that participant is left as they are, or every screen would drop and resubscribe them."""
    reported = reported or {}
    try:
        with app.app_context():
            for stage_id, participant_id in publishing.items():
                stage, p = db.session.get(Stage, stage_id), db.session.get(StageParticipant, participant_id)
                if stage is None or p is None or p.connection != "joined":
                    continue
                last = reported.get(stage_id)
                if last is not None and p.reported_at is not None and p.reported_at > last:
                    continue
                svc.report(stage, p, connection="reconnecting", quality=p.quality or {})
            commit()
    except Exception:  # a background task: logged with its traceback, never a dead greenlet's stderr
        log.exception("stage: marking %s reconnecting failed", publishing)


def on_janus_server_down(sender: Any, **_kw: Any) -> None:
    """Receiver of `janus_server_down` (sent from the media health loop inside an app context)."""
    media = svc.media_backend()
    if media is not None and isinstance(sender, str):
        moved = rehome(sender, media)
        if moved:
            log.warning("Janus %s down: stages %s moved", sender, moved)


class Upkeep(BackgroundLoop):
    """The stage's background loop: a token sweep, then a reconcile of every active stage with Janus, every
    STAGE_UPKEEP_INTERVAL seconds (0: off). Tests call `run_once()` (or `drain_all(app)`)."""

    name = "stage.upkeep"
    interval_key = "STAGE_UPKEEP_INTERVAL"
    default_interval = 10.0

    def run_once(self) -> dict[str, int]:
        started = time.monotonic()
        with self.app.app_context():
            media = svc.media_backend()
            swept = credentials.sweep(media=media)
            commit()  # the loop is its own unit of work
            done = reconcile(media) if media is not None else {}
            db.session.remove()
        if time.monotonic() - started > self.interval > 0:
            log.warning("stage upkeep round took %.1f s", time.monotonic() - started)
        return {"swept": swept, **done}

    def drain(self) -> int:
        return self.run_once()["swept"]  # a kick may repeat while Janus holds the feed: not pending work


def start_upkeep(app: Flask) -> Upkeep:
    loop = Upkeep(app)
    register_loop(app, loop)
    app.extensions["stage_upkeep"] = loop
    return loop
