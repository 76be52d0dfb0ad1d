"""The stage's rules: open, go live, end; bring live, send backstage, mute, remove, spotlight; the question on
screen; client reports. Every change names its actor (`by`, None for the floor's signals), flushes, and is recorded
for broadcast after the commit. Janus follows the database: rooms are created before the state says "open" (a
browser must find them), while kicks, mutes and token removals run after the commit (`media_after_commit`)."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from eventhub import signals
from eventhub.auth.models import User
from eventhub.core.errors import Conflict, NotFound
from eventhub.core.types import utcnow
from eventhub.extensions import db
from eventhub.media.janus import JanusError
from eventhub.schedule.models import AgendaSession, Panelist, ParticipationMode
from eventhub.stage import broadcast as bc
from eventhub.stage.access import require_stage_manager
from eventhub.stage.backend import MEDIA_EXTENSION as MEDIA_EXTENSION  # re-exported: callers use services
from eventhub.stage.backend import Media as Media
from eventhub.stage.backend import MediaUnavailable as MediaUnavailable
from eventhub.stage.backend import media_after_commit as media_after_commit
from eventhub.stage.backend import media_backend as media_backend
from eventhub.stage.backend import media_refused as media_refused
from eventhub.stage.backend import require_media as require_media
from eventhub.stage.models import ParticipantState, Stage, StageParticipant, StageRole, StageState, StageToken

log = logging.getLogger(__name__)
PUBLISHER_MARGIN = 2  # a rejoin may briefly overlap its own ghost until the kick lands


# --- loading --------------------------------------------------------------------------------------------------

def find_stage(session: AgendaSession) -> Stage | None:
    """The session's stage if it has one."""
    return db.session.scalar(db.select(Stage).where(Stage.session_id == session.id))


def create_stage(session: AgendaSession) -> Stage:
    """The session's stage (closed), made with a session of a staged kind (the `session_saved` signal), so its
    screen key exists before any page shows it."""
    stage = Stage(session_id=session.id, event_id=session.event_id, state=StageState.CLOSED, seq=0,
                  screen_key=secrets.token_urlsafe(24), show_question=False)
    db.session.add(stage)
    return stage


def get_stage(session: AgendaSession) -> Stage:
    """Read only: a session of a staged kind has its stage (made with it, or when it became one; migration 0013
    filled in older sessions). NotFound for a break or networking session."""
    stage = find_stage(session)
    if stage is None:
        raise NotFound("stage_not_found", _l("This session has no stage."))
    return stage


def session_of(stage: Stage) -> AgendaSession:
    session = db.session.get(AgendaSession, stage.session_id)
    if session is None:  # the stage row cascades with its session: only inside a deleting transaction
        raise NotFound("session_not_found", _l("No such session."))
    return session


def get_participant(stage: Stage, participant_id: int) -> StageParticipant:
    p = db.session.get(StageParticipant, participant_id) if isinstance(participant_id, int) else None
    if p is None or p.stage_id != stage.id:
        raise NotFound("not_on_this_stage", _l("This person is not on this stage."))
    return p


def _panelist(p: StageParticipant) -> Panelist | None:
    return db.session.get(Panelist, p.panelist_id) if p.panelist_id else None


def record(stage: Stage, p: StageParticipant, *, public: bool = True) -> None:
    bc.record_participant(stage, p, _panelist(p), public=public)


def _new_feed_id(stage: Stage) -> int:
    """Even ids (the screen share publishes as id + 1), unique per stage, safe in JavaScript."""
    taken = set(db.session.scalars(db.select(StageParticipant.feed_id).where(StageParticipant.stage_id == stage.id)))
    while True:
        feed = secrets.randbelow(2**50) * 2 + 2
        if feed not in taken and feed + 1 not in taken:
            return feed


def ensure_participant(stage: Stage, role: StageRole, panelist: Panelist | None = None) -> StageParticipant:
    query = db.select(StageParticipant).where(StageParticipant.stage_id == stage.id, StageParticipant.role == role)
    if panelist is not None:
        query = query.where(StageParticipant.panelist_id == panelist.id)
    existing = db.session.scalar(query)
    if existing is not None:
        return existing
    display = panelist.name if panelist is not None else str(_l("The room"))
    p = StageParticipant(stage_id=stage.id, role=role, panelist_id=panelist.id if panelist else None,
                         feed_id=_new_feed_id(stage), display=display, state=ParticipantState.BACKSTAGE,
                         muted=False, self_muted=False, screen_share_allowed=False, connection="offline", quality={})
    db.session.add(p)
    db.session.flush()
    record(stage, p)
    return p


def ensure_attendee_speaker(stage: Stage, *, registration_id: int, hand_id: int | None, name: str,
                            video_allowed: bool) -> StageParticipant:
    """The publisher row of a remote attendee given the floor (one per registration and stage, reused for a later
    turn: the moderator's latest video choice wins). Each turn gets a new feed id: an audio-only guard left for the
    last turn's feed in another process (eventhub/media/guard.py) can never touch this one."""
    p = db.session.scalar(db.select(StageParticipant).where(StageParticipant.stage_id == stage.id,
                                                            StageParticipant.role == StageRole.ATTENDEE,
                                                            StageParticipant.registration_id == registration_id))
    if p is None:
        p = StageParticipant(stage_id=stage.id, role=StageRole.ATTENDEE, registration_id=registration_id,
                             feed_id=_new_feed_id(stage), state=ParticipantState.BACKSTAGE, muted=False,
                             self_muted=False, screen_share_allowed=False, connection="offline", quality={})
        db.session.add(p)
    elif p.state != ParticipantState.LIVE:
        # A new turn, a new feed: Janus holds no mute for it and the page starts unmuted, so neither does the row.
        p.feed_id, p.muted, p.self_muted = _new_feed_id(stage), False, False
    p.hand_id, p.display, p.video_allowed = hand_id, name[:200], video_allowed
    db.session.flush()
    record(stage, p)
    return p


def end_attendee_turn(stage: Stage, p: StageParticipant, *, media: Media | None,
                      now: datetime | None = None) -> StageParticipant:
    """The attendee's turn is over: backstage, kicked from the room and their publishing tokens removed (out of
    the room's ACL and out of Janus), so their browser cannot publish again without a new turn."""
    if p.state == ParticipantState.LIVE:
        p.state = ParticipantState.BACKSTAGE
        if stage.spotlight_id == p.id:
            stage.spotlight_id = None
            bc.record_stage(stage)
    p.connection = "offline"  # nobody subscribes to them any more
    record(stage, p)
    tokens = remove_tokens(db.select(StageToken).where(StageToken.participant_id == p.id), now or utcnow())
    server, room_id, secret, feed = stage.janus_server, stage.janus_room_id, stage.room_secret, p.feed_id

    def kick(m: Media) -> None:
        if server and room_id:
            m.keep_audio_only(server, room_id, secret, feed, on=False)
            m.kick(server, room_id, secret, feed)

    media_after_commit(kick, media)
    remove_tokens_after_commit(tokens, media, allowed_of=stage)
    return p


# --- the stage's own state ------------------------------------------------------------------------------------

def _require_state(stage: Stage, *states: StageState) -> None:
    if stage.state not in states:
        if stage.state in (StageState.CLOSED, StageState.ENDED):
            raise Conflict("stage_closed", _l("The stage is not open."))
        raise Conflict("stage_already_open", _l("The stage is already open."))


def open_stage(stage: Stage, *, by: User | None, media: Media | None, now: datetime | None = None) -> Stage:
    """Create the Janus room (sized for the session's remote panelists, the room feed and a margin) and open the
    backstage. Panelists can join from then on; nothing reaches the screen before `go_live`."""
    session = session_of(stage)
    require_stage_manager(by, session)
    _require_state(stage, StageState.CLOSED, StageState.ENDED)
    media = require_media(media)
    remote = [sp.panelist for sp in session.panelists if sp.effective_mode == ParticipationMode.REMOTE]
    stage.janus_room_id = secrets.randbelow(2**50) + 1
    stage.room_secret = secrets.token_urlsafe(24)
    # A placeholder entry switches the ACL on: nobody publishes until the app adds their token.
    try:
        stage.janus_server = media.place_room(
            room_id=stage.janus_room_id, publishers=len(remote) + 1 + PUBLISHER_MARGIN, secret=stage.room_secret,
            description=session.title[:100], allowed=[secrets.token_urlsafe(16)])
    except JanusError as exc:
        raise media_refused(exc) from None
    stage.state, stage.opened_at, stage.ended_at = StageState.OPEN, now or utcnow(), None
    ensure_participant(stage, StageRole.ROOM_FEED)
    for panelist in remote:
        ensure_participant(stage, StageRole.PANELIST, panelist)
    bc.record_stage(stage)
    return stage


def go_live(stage: Stage, *, by: User | None, now: datetime | None = None) -> Stage:
    require_stage_manager(by, session_of(stage))
    _require_state(stage, StageState.OPEN)
    stage.state, stage.live_at = StageState.LIVE, now or utcnow()
    bc.record_stage(stage)
    return stage


def end_stage(stage: Stage, *, by: User | None, media: Media | None, now: datetime | None = None) -> Stage:
    """Destroy the Janus room and remove every token the stage issued (after the commit)."""
    require_stage_manager(by, session_of(stage))
    _require_state(stage, StageState.OPEN, StageState.LIVE)
    now = now or utcnow()
    server, room_id, secret = stage.janus_server, stage.janus_room_id, stage.room_secret
    tokens = remove_tokens(db.select(StageToken).where(StageToken.stage_id == stage.id), now)
    for p in stage.participants:
        if p.state == ParticipantState.LIVE:
            p.state = ParticipantState.BACKSTAGE
            record(stage, p)
    stage.state, stage.ended_at, stage.spotlight_id, stage.show_question = StageState.ENDED, now, None, False
    bc.record_stage(stage)

    def destroy(m: Media) -> None:
        if server and room_id:
            m.destroy_room(server, room_id, secret)
        for srv, token in tokens:
            m.remove_token(srv, token)

    media_after_commit(destroy, media)
    signals.stage_ended.send(stage)
    return stage


def remove_tokens(query: Any, now: datetime) -> list[tuple[str, str]]:
    removed = []
    for t in db.session.scalars(query.where(StageToken.removed_at.is_(None))):
        t.removed_at = now
        removed.append((t.janus_server, t.token))
    db.session.flush()
    return removed


def remove_tokens_after_commit(tokens: list[tuple[str, str]], media: Media | None, *,
                               allowed_of: Stage | None = None) -> None:
    if not tokens:
        return
    room = (allowed_of.janus_server, allowed_of.janus_room_id, allowed_of.room_secret) if allowed_of else None

    def run(m: Media) -> None:
        if room and room[0] and room[1]:
            m.allow(room[0], room[1], room[2], [t for _s, t in tokens], add=False)
        for server, token in tokens:
            m.remove_token(server, token)

    media_after_commit(run, media)


# --- people on the stage --------------------------------------------------------------------------------------

def _live_stage(stage: Stage) -> None:
    _require_state(stage, StageState.OPEN, StageState.LIVE)


def bring_live(stage: Stage, p: StageParticipant, *, by: User | None, floor: bool = False) -> StageParticipant:
    """`floor=True` (and `by` None): the floor's `speech_started` signal, which checked the right to speak."""
    if not floor:
        require_stage_manager(by, session_of(stage))
    _live_stage(stage)
    if p.state == ParticipantState.REMOVED:
        raise Conflict("participant_removed", _l("This person was removed from the stage."))
    if p.state != ParticipantState.LIVE:
        p.state = ParticipantState.LIVE
        record(stage, p)
    return p


def send_backstage(stage: Stage, p: StageParticipant, *, by: User | None,
                   floor: bool = False) -> StageParticipant:
    """Also readmits someone removed (they join again with new credentials)."""
    if not floor:
        require_stage_manager(by, session_of(stage))
    _live_stage(stage)
    if p.state != ParticipantState.BACKSTAGE:
        p.state = ParticipantState.BACKSTAGE
        if stage.spotlight_id == p.id:
            stage.spotlight_id = None
            bc.record_stage(stage)
        record(stage, p)
    return p


def mute(stage: Stage, p: StageParticipant, muted: bool, *, by: User, media: Media | None) -> StageParticipant:
    """Muted in Janus too (VideoRoom `moderate`): nobody receives the audio, whatever the browser does."""
    require_stage_manager(by, session_of(stage))
    _live_stage(stage)
    if p.muted != muted:
        p.muted = muted
        record(stage, p)
        server, room_id, secret, feed = stage.janus_server, stage.janus_room_id, stage.room_secret, p.feed_id
        if server and room_id:
            media_after_commit(lambda m: m.moderate(server, room_id, secret, feed, mute=muted), media)
    return p


def self_mute(stage: Stage, p: StageParticipant, muted: bool) -> StageParticipant:
    """A publisher's own mute — a panelist's, or an attendee's during their turn: their page disables the
    microphone and tells Janus to stop relaying it (stage-common.js `setSelfMute`); shown to the managers."""
    _live_stage(stage)
    if p.self_muted != muted:
        p.self_muted = muted
        record(stage, p)
    return p


def remove(stage: Stage, p: StageParticipant, *, by: User, media: Media | None,
           now: datetime | None = None) -> StageParticipant:
    """Off the stage: kicked in Janus and their tokens removed, so their browser cannot come back by itself."""
    require_stage_manager(by, session_of(stage))
    _live_stage(stage)
    now = now or utcnow()
    p.state = ParticipantState.REMOVED
    if stage.spotlight_id == p.id:
        stage.spotlight_id = None
        bc.record_stage(stage)
    record(stage, p)
    tokens = remove_tokens(db.select(StageToken).where(StageToken.participant_id == p.id), now)
    server, room_id, secret, feed = stage.janus_server, stage.janus_room_id, stage.room_secret, p.feed_id

    def kick(m: Media) -> None:
        if server and room_id:
            m.keep_audio_only(server, room_id, secret, feed, on=False)
            m.kick(server, room_id, secret, feed)

    media_after_commit(kick, media)
    remove_tokens_after_commit(tokens, media, allowed_of=stage)
    return p


def allow_screen_share(stage: Stage, p: StageParticipant, allowed: bool, *, by: User) -> StageParticipant:
    require_stage_manager(by, session_of(stage))
    _live_stage(stage)
    if p.screen_share_allowed != allowed:
        p.screen_share_allowed = allowed
        record(stage, p)
    return p


def spotlight(stage: Stage, p: StageParticipant | None, *, by: User) -> Stage:
    require_stage_manager(by, session_of(stage))
    _live_stage(stage)
    if p is not None and p.state != ParticipantState.LIVE:
        raise Conflict("not_live", _l("Only someone live can be in the spotlight."))
    new = p.id if p is not None else None
    if stage.spotlight_id != new:
        stage.spotlight_id = new
        bc.record_stage(stage)
    return stage


def show_question(stage: Stage, show: bool, *, by: User) -> Stage:
    require_stage_manager(by, session_of(stage))
    if stage.show_question != show:
        stage.show_question = show
        bc.record_stage(stage)
    return stage


CONNECTIONS = ("joining", "joined", "reconnecting", "offline", "failed")


def report(stage: Stage, p: StageParticipant, *, connection: str, quality: dict[str, Any],
           now: datetime | None = None) -> StageParticipant:
    """A client's own report (connection state, getStats figures). A change of connection is recorded for
    everyone (the screen subscribes to a panelist once they are connected), of "weak link" for the managers; the
    figures alone go to the managers unrecorded."""
    now = now or utcnow()
    connection_changed = p.connection != connection
    changed = connection_changed or bool((p.quality or {}).get("weak")) != bool(quality.get("weak"))
    p.connection, p.quality, p.reported_at = connection, quality, now
    if changed:
        record(stage, p, public=connection_changed)
    else:
        db.session.flush()
        bc.emit_quality(stage, bc.participant_view(p, _panelist(p)))
    return p
