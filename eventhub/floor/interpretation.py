"""Interpretation audio: one Janus AudioBridge room per channel, on the server of the session's stage, while the
stage is open. The interpreter speaks into their channel's room (and, when relaying, also joins the source
channel's room to hear it); a listener joins a channel's room muted to hear it. The floor itself stays the stage's
VideoRoom (listeners keep it faint underneath; the stage screen plays only the floor).

Every browser gets its own core token, allowed to attach only to the AudioBridge and listed only in the ACL of the
rooms it may join. Tokens are recorded as StageToken rows, so the stage's heartbeat, sweep (expiry, a revoked
ticket) and end remove them from Janus like every stage token. Rooms are created on first need (and again after the
stage moved to another server), destroyed when the stage ends (`stage_ended`).

Janus is called before this transaction writes (the stage's SQLite rule: never hold the write lock across a Janus
call). Known limit: AudioBridge's ACL cannot tell a listener from the interpreter; a listener's page joins muted,
but a crafted client holding a listener token could unmute itself in that room.
"""

from __future__ import annotations

import contextlib
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from eventhub.core.errors import Conflict, Forbidden
from eventhub.core.types import utcnow
from eventhub.extensions import db
from eventhub.floor.models import Channel
from eventhub.media.janus import JanusError
from eventhub.schedule.models import AgendaSession
from eventhub.stage import credentials as stage_credentials
from eventhub.stage import services as svc
from eventhub.stage.models import Stage, StageRole, StageState, StageToken

Room = tuple[str, int, str, bool]  # server, room id, secret, created now


def open_stage_of(session_id: int) -> Stage:
    stage = db.session.scalar(db.select(Stage).where(Stage.session_id == session_id))
    if stage is None or stage.state not in (StageState.OPEN, StageState.LIVE) or not stage.janus_server:
        raise Conflict("stage_closed", _l("The stage is not open yet."))
    return stage


def _room(channel: Channel, stage: Stage, media: Any) -> Room:
    """The channel's room on the stage's server, created in Janus when it is missing (not yet written down)."""
    server = stage.janus_server or ""
    if channel.janus_server == server and channel.janus_room_id and \
            media.audio_room_exists(server, channel.janus_room_id):
        return server, channel.janus_room_id, channel.room_secret, False
    room, secret = secrets.randbelow(2**50) + 1, secrets.token_urlsafe(24)
    # A placeholder entry switches the ACL on: nobody joins until the app adds their token.
    media.place_audio_room(server, room_id=room, secret=secret, description=f"interpretation {channel.language}",
                           allowed=[secrets.token_urlsafe(16)])
    return server, room, secret, True


def _claim(channel: Channel, placed: Room, media: Any, token: str) -> int:
    """Write the new room down unless another request did first (then ours goes and the token joins theirs)."""
    server, room, secret, created = placed
    if not created:
        return room
    old = channel.janus_room_id
    won = db.session.execute(
        update(Channel).where(Channel.id == channel.id,
                              Channel.janus_room_id.is_(None) if old is None else Channel.janus_room_id == old)
        .values(janus_server=server, janus_room_id=room, room_secret=secret)
        .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    db.session.refresh(channel)
    if won:
        return room
    with contextlib.suppress(JanusError):
        media.destroy_audio_room(server, room, secret)
        media.allow_audio(server, channel.janus_room_id or 0, channel.room_secret, [token], add=True)
    return channel.janus_room_id or 0


def grant(stage: Stage, rooms: list[Channel], *, role: StageRole, registration_id: int | None,
          media: Any) -> dict[str, Any]:
    """A token for the AudioBridge, in the ACL of `rooms` only; what the browser needs to join them."""
    media = svc.require_media(media)
    server, token = stage.janus_server or "", secrets.token_urlsafe(24)
    try:
        placed = [_room(c, stage, media) for c in rooms]
        media.add_audio_token(server, token)
        for _server, room, secret, _created in placed:
            media.allow_audio(server, room, secret, [token], add=True)
    except JanusError as exc:
        raise svc.media_refused(exc) from None
    room_ids = [_claim(c, p, media, token) for c, p in zip(rooms, placed, strict=True)]
    ttl = stage_credentials.token_ttl()
    row = StageToken(stage_id=stage.id, token=token, role=role, registration_id=registration_id,
                     janus_server=server, expires_at=utcnow() + timedelta(seconds=ttl))
    db.session.add(row)
    db.session.flush()
    config = media.browser_config(server, user=f"s{stage.id}t{row.id}")
    return {"janus_urls": config.get("janus_urls", []), "ice_servers": config.get("ice_servers", []),
            "keepalive_ms": config.get("keepalive_ms", 5000), "token": token, "ttl": ttl, "rooms": room_ids,
            "ice_transport_policy": current_app.config.get("MEDIA_ICE_TRANSPORT_POLICY", "all")}


def interpreter_media(channel: Channel, *, media: Any) -> dict[str, Any]:
    """The interpreter's own room (to speak into) and, when relaying, the source channel's room (to hear)."""
    stage = open_stage_of(channel.session_id)
    source = db.session.get(Channel, channel.relay_from_id) if channel.relay_from_id else None
    creds = grant(stage, [channel, *([source] if source else [])], role=StageRole.INTERPRETER,
                  registration_id=None, media=media)
    return {**creds, "room": creds["rooms"][0], "relay_room": creds["rooms"][1] if source else None,
            "display": channel.interpreter_name or channel.language, "language": channel.language,
            "stage_room": stage.janus_room_id}


def listener_media(session: AgendaSession, channel_id: int, participant: Any, *, media: Any) -> dict[str, Any]:
    """A ticket holder hears a channel (the stage page: remote attendees, phones in the hall with earphones)."""
    registration_id = getattr(participant, "registration_id", None)
    if participant is None or getattr(participant, "kind", None) != "ticket" or registration_id is None:
        raise Forbidden("ticket_required", _l("Open the live page with your ticket link to hear the interpretation."))
    stage = open_stage_of(session.id)
    channel = db.session.get(Channel, channel_id)
    if channel is None or channel.session_id != session.id:
        raise Conflict("stage_closed", _l("The stage is not open yet."))
    creds = grant(stage, [channel], role=StageRole.ATTENDEE, registration_id=registration_id, media=media)
    return {**creds, "room": creds["rooms"][0]}


def on_stage_ended(sender: Any, **_kw: Any) -> None:
    """The stage ended: its channels' rooms go too (after the commit; their tokens went with the stage's)."""
    session_id = getattr(sender, "session_id", None)
    if not isinstance(session_id, int):
        return
    rooms = []
    for c in db.session.scalars(db.select(Channel).where(Channel.session_id == session_id,
                                                         Channel.janus_room_id.is_not(None))):
        rooms.append((c.janus_server or "", c.janus_room_id or 0, c.room_secret))
        c.janus_server, c.janus_room_id, c.room_secret = None, None, ""
    db.session.flush()

    def destroy(m: Any) -> None:
        for server, room, secret in rooms:
            m.destroy_audio_room(server, room, secret)

    if rooms:
        svc.media_after_commit(destroy, svc.media_backend())
