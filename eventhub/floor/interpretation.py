"""Interpretation audio, on the server of the session's stage while the stage is open: per channel, an AudioBridge
room only its interpreter may join (they speak into it) and a Streaming mountpoint fed by that room's mix, which
listeners watch (eventhub/media/channels.py says why listeners never join the room). An interpreter relaying another
channel watches that channel's mountpoint, like a listener. The floor itself stays the stage's VideoRoom (listeners
keep it faint underneath; the stage screen plays only the floor).

Every browser gets its own core token: a listener's may attach to the Streaming plugin only; an interpreter's also
to the AudioBridge, and it is in the ACL of their own channel's room only. Tokens are recorded as StageToken rows
(an interpreter's with their channel), so the stage's heartbeat, sweep (expiry, a revoked ticket), end, and the
revocation of the interpreter's link (`on_link_revoked`) remove them from Janus like every stage token. A channel
is created on first need (and again after the stage moved to another server or Janus restarted), destroyed when the
stage ends (`stage_ended`).

Janus is called before this transaction writes (the stage's SQLite rule: never hold the write lock across a Janus
call).
"""

from __future__ import annotations

import contextlib
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from eventhub.core import revocations
from eventhub.core.errors import Conflict, Forbidden
from eventhub.core.types import utcnow
from eventhub.extensions import db
from eventhub.floor.channels import CHANNEL_REVOKED
from eventhub.floor.models import Channel
from eventhub.media.channels import listen_pin
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
    """The channel (room + mountpoint) on the stage's server, created in Janus when missing (not yet written down)."""
    server = stage.janus_server or ""
    if channel.janus_server == server and channel.janus_room_id and \
            media.channel_exists(server, channel.janus_room_id, channel.room_secret):
        return server, channel.janus_room_id, channel.room_secret, False
    room, secret = secrets.randbelow(2**50) + 1, secrets.token_urlsafe(24)
    # A placeholder entry switches the ACL on: nobody joins until the app adds their token.
    media.place_channel(server, room_id=room, secret=secret, description=f"interpretation {channel.language}",
                        allowed=[secrets.token_urlsafe(16)])
    return server, room, secret, True


def _claim(channel: Channel, placed: Room, media: Any, token: str, *, speak: bool) -> int:
    """Write the new channel down unless another request did first (then ours goes; a speaking token joins
    theirs)."""
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
        media.destroy_channel(server, room, secret)
        if speak:
            media.allow_audio(server, channel.janus_room_id or 0, channel.room_secret, [token], add=True)
    return channel.janus_room_id or 0


def grant(stage: Stage, *, speak: Channel | None, hear: Channel | None, role: StageRole,
          registration_id: int | None, media: Any) -> dict[str, Any]:
    """A token that may speak into `speak` (its room's ACL) and hear `hear` (its mountpoint and PIN); what the
    browser needs for both. A listener's token (no `speak`) cannot attach to the AudioBridge at all."""
    media = svc.require_media(media)
    server, token = stage.janus_server or "", secrets.token_urlsafe(24)
    try:
        spoken = _room(speak, stage, media) if speak is not None else None
        heard = _room(hear, stage, media) if hear is not None else None
        media.add_channel_token(server, token, speak=speak is not None)
        if spoken is not None:
            media.allow_audio(server, spoken[1], spoken[2], [token], add=True)
    except JanusError as exc:
        raise svc.media_refused(exc) from None
    room = _claim(speak, spoken, media, token, speak=True) if speak is not None and spoken else None
    mountpoint = _claim(hear, heard, media, token, speak=False) if hear is not None and heard else None
    ttl = stage_credentials.token_ttl()
    row = StageToken(stage_id=stage.id, token=token, role=role, registration_id=registration_id,
                     channel_id=speak.id if speak is not None and role == StageRole.INTERPRETER else None,
                     janus_server=server, expires_at=utcnow() + timedelta(seconds=ttl))
    db.session.add(row)
    db.session.flush()
    config = media.browser_config(server, user=f"s{stage.id}t{row.id}")
    return {"janus_urls": config.get("janus_urls", []), "ice_servers": config.get("ice_servers", []),
            "keepalive_ms": config.get("keepalive_ms", 5000), "token": token, "ttl": ttl, "room": room,
            "mountpoint": mountpoint, "pin": listen_pin(hear.room_secret) if hear is not None else None,
            "ice_transport_policy": current_app.config["MEDIA_ICE_TRANSPORT_POLICY"]}


def interpreter_media(channel: Channel, *, media: Any) -> dict[str, Any]:
    """The interpreter's own room (to speak into) and, when relaying, the source channel's mountpoint (to hear)."""
    stage = open_stage_of(channel.session_id)
    source = db.session.get(Channel, channel.relay_from_id) if channel.relay_from_id else None
    creds = grant(stage, speak=channel, hear=source, role=StageRole.INTERPRETER, registration_id=None, media=media)
    return {**creds, "relay_mountpoint": creds["mountpoint"], "display": channel.interpreter_name or channel.language,
            "language": channel.language, "stage_room": stage.janus_room_id}


def listener_media(session: AgendaSession, channel_id: int, participant: Any, *, media: Any) -> dict[str, Any]:
    """A ticket holder hears a channel (the stage page: remote attendees, phones in the hall with earphones)."""
    registration_id = getattr(participant, "registration_id", None)
    if participant is None or getattr(participant, "kind", None) != "ticket" or registration_id is None:
        raise Forbidden("ticket_required", _l("Open the live page with your ticket link to hear the interpretation."))
    stage = open_stage_of(session.id)
    channel = db.session.get(Channel, channel_id)
    if channel is None or channel.session_id != session.id:
        raise Conflict("stage_closed", _l("The stage is not open yet."))
    return grant(stage, speak=None, hear=channel, role=StageRole.ATTENDEE, registration_id=registration_id,
                 media=media)


def on_link_revoked(sender: Any, **_kw: Any) -> None:
    """The interpreter's link was revoked (`interpreter_link_revoked`): every token issued for that channel's
    interpreter goes now — out of the channel room's ACL and out of Janus, which ends the Janus sessions that used
    it (the booth's microphone, the relay, the floor they heard) — and whoever is in the channel's room is kicked.
    Their live connections end on every process (`revocations`). All after the commit."""
    if not isinstance(sender, Channel):
        return
    tokens = svc.remove_tokens(db.select(StageToken).where(StageToken.channel_id == sender.id), utcnow())
    room = (sender.janus_server or "", sender.janus_room_id or 0, sender.room_secret)

    def cut(m: Any) -> None:
        if room[0] and room[1]:
            with contextlib.suppress(JanusError):  # the channel may be gone already (stage ended, Janus restarted)
                if tokens:
                    m.allow_audio(*room, [t for _s, t in tokens], add=False)
                for p in m.audio_participants(room[0], room[1]):
                    m.kick_audio(*room, int(p["id"]))
        for server, token in tokens:
            m.remove_token(server, token)

    svc.media_after_commit(cut, svc.media_backend())
    revocations.announce_after_commit(CHANNEL_REVOKED, sender.id)


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
            m.destroy_channel(server, room, secret)

    if rooms:
        svc.media_after_commit(destroy, svc.media_backend())
