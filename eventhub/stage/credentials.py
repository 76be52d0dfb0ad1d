"""Join credentials: a short-lived Janus core token per person per stage, the publish right (the room's
`allowed` ACL) only for panelists, the room feed and a remote attendee during their accepted turn, heartbeats
that keep a token alive, and the sweep that removes expired or no-longer-deserved tokens from Janus (which ends
the Janus session that used it)."""

from __future__ import annotations

import contextlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from eventhub.core.errors import Conflict, Forbidden
from eventhub.core.types import utcnow
from eventhub.extensions import db
from eventhub.media.janus import JanusError
from eventhub.schedule.models import Panelist
from eventhub.stage import access
from eventhub.stage import services as svc
from eventhub.stage.access import Holder
from eventhub.stage.models import ParticipantState, Stage, StageParticipant, StageRole, StageState, StageToken


def token_ttl() -> int:
    return int(current_app.config["STAGE_TOKEN_TTL"])


def participant_for(stage: Stage, holder: Holder) -> StageParticipant | None:
    """The publisher row of a panelist or of the room feed (created when a panelist added late first joins)."""
    if holder.kind == StageRole.ROOM_FEED:
        return svc.ensure_participant(stage, StageRole.ROOM_FEED)
    if holder.kind == StageRole.PANELIST:
        return svc.ensure_participant(stage, StageRole.PANELIST, db.session.get(Panelist, holder.panelist_id))
    if holder.kind == StageRole.ATTENDEE:
        return attendee_speaker(stage, holder)
    return None


def attendee_speaker(stage: Stage, holder: Holder) -> StageParticipant | None:
    """The attendee's publisher row, only while it is live: the floor brought them on at their turn's start and
    sends them back at its end (`receivers`); the row alone grants nothing."""
    if holder.kind != StageRole.ATTENDEE or holder.registration_id is None:
        return None
    return db.session.scalar(db.select(StageParticipant).where(
        StageParticipant.stage_id == stage.id, StageParticipant.role == StageRole.ATTENDEE,
        StageParticipant.registration_id == holder.registration_id,
        StageParticipant.state == ParticipantState.LIVE))


def check_holder(stage: Stage, holder: Holder, *, publish: bool) -> None:
    """The refusals, in the order a person would want to hear them."""
    session = svc.session_of(stage)
    access.require_same_event(holder, session)
    if holder.kind == StageRole.PANELIST and not access.panelist_on_session(
            db.session.get(Panelist, holder.panelist_id), session):
        raise Forbidden("not_on_this_stage", _l("You are not on this session's panel."))
    if publish and not holder.kind.publishes and attendee_speaker(stage, holder) is None:
        if holder.kind == StageRole.ATTENDEE:
            raise Forbidden("attendee_cannot_publish", _l("Attendees follow the stage; they do not publish."))
        raise Forbidden("cannot_publish", _l("Only panelists and the room feed publish on the stage."))
    if stage.state not in (StageState.OPEN, StageState.LIVE):
        raise Conflict("stage_closed", _l("The stage is not open yet."))


def existing_participant(stage: Stage, holder: Holder, *, publish: bool = True) -> StageParticipant | None:
    """Read only: the publisher row this holder would use, if it exists yet. An attendee's receive-only token
    belongs to no row (ending their turn removes only the tokens they published with)."""
    if holder.kind == StageRole.ATTENDEE:
        return attendee_speaker(stage, holder) if publish else None
    if holder.kind not in (StageRole.PANELIST, StageRole.ROOM_FEED):
        return None
    query = db.select(StageParticipant).where(StageParticipant.stage_id == stage.id,
                                              StageParticipant.role == holder.kind)
    if holder.kind == StageRole.PANELIST:
        query = query.where(StageParticipant.panelist_id == holder.panelist_id)
    return db.session.scalar(query)


def _active_tokens(participant: StageParticipant) -> bool:
    return db.session.scalar(db.select(StageToken.id).where(StageToken.participant_id == participant.id,
                                                            StageToken.removed_at.is_(None)).limit(1)) is not None


def issue(stage: Stage, holder: Holder, *, publish: bool, media: svc.Media | None,
          now: datetime | None = None) -> dict[str, Any]:
    """What a browser needs to join: Janus URL(s), room, its own token, its feed id and display (publishers),
    TURN servers. Never the room secret nor any Janus API/admin secret.

    Janus is called before this transaction writes anything: on SQLite a write lock held across a Janus call
    would stall every other writer (and, under gevent, the whole process) until it is released.

    A publisher joining again (after a network drop, a reload, another device) replaces its earlier self: the old
    publisher is kicked now (else its ghost holds the feed id until Janus's session timeout) and its old tokens are
    removed. The last join wins."""
    check_holder(stage, holder, publish=publish)
    media = svc.require_media(media)
    now = now or utcnow()
    participant = existing_participant(stage, holder, publish=publish)
    if publish and participant is not None and participant.state == ParticipantState.REMOVED:
        raise Forbidden("removed_from_stage", _l("A stage manager removed you from the stage."))
    token = secrets.token_urlsafe(24)
    server = stage.janus_server or ""
    replacing = publish and participant is not None and _active_tokens(participant)
    try:
        if replacing and participant is not None:
            with contextlib.suppress(JanusError):  # not in the room any more: nothing to replace
                media.kick(server, stage.janus_room_id or 0, stage.room_secret, participant.feed_id)
        media.add_token(server, token)
        if publish:
            media.allow(server, stage.janus_room_id or 0, stage.room_secret, [token], add=True)
        if publish and participant is not None and participant.role == StageRole.ATTENDEE:
            # Audio only unless the moderator allowed video, in Janus: the page leaving the camera out is not
            # enough (a crafted client could offer video); the guard mutes any video stream this feed publishes.
            media.keep_audio_only(server, stage.janus_room_id or 0, stage.room_secret, participant.feed_id,
                                  on=not participant.video_allowed, for_seconds=token_ttl())
    except JanusError as exc:
        raise svc.media_refused(exc) from None
    # Now the database.
    if participant is None and holder.kind in (StageRole.PANELIST, StageRole.ROOM_FEED):
        participant = participant_for(stage, holder)
    if replacing and participant is not None:
        old = svc.remove_tokens(db.select(StageToken).where(StageToken.participant_id == participant.id), now)
        svc.remove_tokens_after_commit(old, media, allowed_of=stage)
    row = StageToken(stage_id=stage.id, token=token, role=holder.kind,
                     participant_id=participant.id if participant else None, user_id=holder.user_id,
                     registration_id=holder.registration_id, channel_id=holder.channel_id, janus_server=server,
                     expires_at=now + timedelta(seconds=token_ttl()))
    db.session.add(row)
    db.session.flush()
    config = media.browser_config(server, user=f"s{stage.id}t{row.id}")
    return {
        "janus_urls": config.get("janus_urls", []), "ice_servers": config.get("ice_servers", []),
        "keepalive_ms": config.get("keepalive_ms", 5000),
        "room": stage.janus_room_id, "token": token, "role": holder.kind.value, "publish": publish,
        "feed_id": participant.feed_id if participant else None,
        "participant_id": participant.id if participant else None,
        "display": participant.display if participant else holder.name,
        "video_allowed": bool(participant.video_allowed) if participant and participant.role == StageRole.ATTENDEE
        else None,
        "expires_at": row.expires_at.isoformat(), "ttl": token_ttl(),
        "ice_transport_policy": current_app.config["MEDIA_ICE_TRANSPORT_POLICY"],
    }


def find_token(stage: Stage, token: object) -> StageToken | None:
    if not isinstance(token, str) or not token or len(token) > 64:
        return None
    row = db.session.scalar(db.select(StageToken).where(StageToken.token == token))
    return row if row is not None and row.stage_id == stage.id else None


def heartbeat(stage: Stage, token: object, *, now: datetime | None = None) -> StageToken:
    """The client is still there: its token lives another TTL. An expired or removed token is refused (the
    client asks for new credentials, which re-checks its right)."""
    now = now or utcnow()
    row = find_token(stage, token)
    if row is None or row.removed_at is not None:
        raise Forbidden("token_expired", _l("Your stage access has expired. Join again."))
    if row.expires_at <= now:
        raise Forbidden("token_expired", _l("Your stage access has expired. Join again."))
    row.expires_at = now + timedelta(seconds=token_ttl())
    db.session.flush()
    return row


def leave(stage: Stage, token: object, *, media: svc.Media | None, now: datetime | None = None) -> None:
    """Hung up: the token goes at once (the browser has also left the room)."""
    row = find_token(stage, token)
    if row is None or row.removed_at is not None:
        return
    tokens = svc.remove_tokens(db.select(StageToken).where(StageToken.id == row.id), now or utcnow())
    svc.remove_tokens_after_commit(tokens, media, allowed_of=stage if row.role.publishes or row.participant_id
                                   else None)
    _offline_if_gone(stage, row.participant_id, now)


def _offline_if_gone(stage: Stage, participant_id: int | None, now: datetime | None) -> None:
    """A publisher with no live token left is offline (hung up, or its page vanished and the token expired)."""
    if participant_id is None:
        return
    left = db.session.scalar(db.select(StageToken.id).where(StageToken.participant_id == participant_id,
                                                            StageToken.removed_at.is_(None)).limit(1))
    p = db.session.get(StageParticipant, participant_id)
    if left is None and p is not None and p.connection != "offline":
        svc.report(stage, p, connection="offline", quality={}, now=now)


def revoke_for_registration(registration_id: int, *, media: svc.Media | None, now: datetime | None = None) -> int:
    rows = list(db.session.scalars(db.select(StageToken).where(StageToken.registration_id == registration_id,
                                                               StageToken.removed_at.is_(None))))
    tokens = svc.remove_tokens(db.select(StageToken).where(StageToken.id.in_([r.id for r in rows])),
                                now or utcnow()) if rows else []
    svc.remove_tokens_after_commit(tokens, media)
    return len(tokens)


def sweep(*, media: svc.Media | None, now: datetime | None = None) -> int:
    """Remove expired tokens, and tokens whose holder lost the right (role removed, ticket revoked, panelist taken
    off the panel or link revoked… for links: the next join is refused by `panelist_from_token`)."""
    now = now or utcnow()
    stale: list[int] = []
    by_stage: dict[int, Stage] = {}
    for row in db.session.scalars(db.select(StageToken).where(StageToken.removed_at.is_(None))):
        stage = by_stage.get(row.stage_id) or db.session.get(Stage, row.stage_id)
        if stage is None:
            continue
        by_stage[row.stage_id] = stage
        panelist_id = None
        if row.participant_id is not None:
            participant = db.session.get(StageParticipant, row.participant_id)
            panelist_id = participant.panelist_id if participant else None
        expired = row.expires_at <= now
        if expired or not access.still_valid(row.role, user_id=row.user_id, registration_id=row.registration_id,
                                             panelist_id=panelist_id, session=svc.session_of(stage)):
            stale.append(row.id)
    if not stale:
        return 0
    rows = list(db.session.scalars(db.select(StageToken).where(StageToken.id.in_(stale))))
    for stage_id in {r.stage_id for r in rows}:
        ids = [r.id for r in rows if r.stage_id == stage_id]
        tokens = svc.remove_tokens(db.select(StageToken).where(StageToken.id.in_(ids)), now)
        svc.remove_tokens_after_commit(tokens, media, allowed_of=by_stage[stage_id])
        for participant_id in {r.participant_id for r in rows if r.stage_id == stage_id}:
            _offline_if_gone(by_stage[stage_id], participant_id, now)
    return len(stale)
