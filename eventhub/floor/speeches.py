"""Speeches: start, pause, resume, end, interject — OpenSlides' begin / end / pause times and total pause.

Starting and ending send `speech_started` / `speech_ended` (eventhub/signals.py) inside the transaction, so the
stage brings a remote speaker live or sends them backstage in the same commit. At most one speech runs per session:
the changes are serialized on the session's settings row and a partial unique index holds the invariant.

Moderators do all of this; the speaker themselves may only hand the floor back (`finish_own_turn`).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from eventhub.auth.models import User
from eventhub.core.errors import Conflict, Forbidden
from eventhub.core.types import utcnow
from eventhub.extensions import db
from eventhub.floor import broadcast as bc
from eventhub.floor.hands import rate_limit
from eventhub.floor.models import Delegation, FloorSettings, Speaker, SpeakerKind, SpeakerState, Speech
from eventhub.floor.services import get_settings, require_moderator, session_of
from eventhub.qa import participants as pt
from eventhub.schedule.models import AgendaSession, Panelist
from eventhub.signals import speech_ended, speech_started

Current = int | str | None

ANY = "any"  # `if_current` default: act whoever has the floor


def _lock_floor(session: AgendaSession) -> None:
    """Serialize the session's speech changes: the settings row is locked (FOR UPDATE on PostgreSQL; SQLite has one
    writer) until commit, so a second moderator's start waits, then sees the first one's speech. Without it, racing
    starts could deadlock on the speakers' rows; the partial unique index stays the last line of defence."""
    get_settings(session)
    db.session.execute(db.select(FloorSettings.session_id).where(FloorSettings.session_id == session.id)
                       .with_for_update())


def _check_current(speeches: list[Speech], if_current: Current) -> None:
    """Optimistic check: the moderator acted on the floor as they saw it (`if_current`: the running speech's id,
    or None for nobody); if another moderator changed it meanwhile, refuse rather than override them."""
    if if_current == ANY:
        return
    running = next((sp.id for sp in speeches if sp.paused_at is None), None)
    if running != if_current:
        raise Conflict("floor_changed", _l("Another moderator changed the floor just now: look again."))


def _open_speeches(session_id: int) -> list[Speech]:
    """Locked on PostgreSQL (FOR UPDATE): a concurrent start/end waits, then sees what this one committed."""
    return list(db.session.scalars(db.select(Speech).where(Speech.session_id == session_id,
                                                           Speech.ended_at.is_(None))
                                   .order_by(Speech.id).with_for_update()
                                   .execution_options(populate_existing=True)))


def _fold_pause(speech: Speech, now: datetime) -> None:
    if speech.paused_at is not None:
        speech.paused_seconds += max(0.0, (now - speech.paused_at).total_seconds())
        speech.paused_at = None


def _close(speech: Speech, now: datetime, *, by: User | None, reason: str) -> None:
    if speech.paused_at is not None:  # ended while paused: the pause stops at the end
        speech.paused_seconds += max(0.0, (now - speech.paused_at).total_seconds())
        speech.paused_at = None
    speech.ended_at = now
    speaker = db.session.get(Speaker, speech.speaker_id) if speech.speaker_id else None
    if speaker is not None:
        speaker.state = SpeakerState.DONE
    db.session.flush()
    speech_ended.send(speech, speaker=speaker, by=by, reason=reason)


def _begin(session: AgendaSession, speaker: Speaker, now: datetime, *, by: User,
           interrupted: Speech | None = None) -> Speech:
    if speaker.state == SpeakerState.DONE and speaker.session_id == session.id:
        speaker.state = SpeakerState.WAITING  # speaking again: allowed, recorded as another speech
    delegation = db.session.get(Delegation, speaker.delegation_id) if speaker.delegation_id else None
    budget = speaker.budget_seconds if speaker.budget_seconds is not None else \
        get_settings(session).default_budget_seconds
    speech = Speech(session_id=session.id, speaker_id=speaker.id, panelist_id=speaker.panelist_id, name=speaker.name,
                    kind=speaker.kind, delegation_id=delegation.id if delegation else None,
                    delegation_name=delegation.name if delegation else "", budget_seconds=budget, started_at=now,
                    paused_seconds=0.0, interrupted_id=interrupted.id if interrupted else None)
    try:
        with db.session.begin_nested():
            db.session.add(speech)
            db.session.flush()
    except IntegrityError:
        # The partial unique index: another moderator started someone in the meantime.
        raise Conflict("floor_busy", _l("Someone else is speaking now: the list changed, look again.")) from None
    speaker.state = SpeakerState.SPEAKING
    db.session.flush()
    speech_started.send(speech, speaker=speaker, by=by, interjection=interrupted is not None)
    return speech


def start(speaker: Speaker, *, by: User, now: datetime | None = None, if_current: Current = ANY) -> Speech:
    """Give the floor to `speaker`; whoever speaks (or is paused) is ended first."""
    session = session_of(speaker.session_id)
    require_moderator(by, session)
    _lock_floor(session)
    now = now or utcnow()
    speeches = _open_speeches(session.id)
    _check_current(speeches, if_current)
    for speech in speeches:
        _close(speech, now, by=by, reason="next")
    db.session.refresh(speaker)
    speech = _begin(session, speaker, now, by=by)
    bc.record_state(session.id)
    return speech


def interject(speaker: Speaker, *, by: User, now: datetime | None = None,
              if_current: Current = ANY) -> Speech:
    """`speaker` interjects: the running speech is paused and resumes when the interjection ends."""
    session = session_of(speaker.session_id)
    require_moderator(by, session)
    _lock_floor(session)
    now = now or utcnow()
    speeches = _open_speeches(session.id)
    _check_current(speeches, if_current)
    running = next((sp for sp in speeches if sp.paused_at is None), None)
    if running is None:
        raise Conflict("no_running_speech", _l("Nobody is speaking: start the speaker instead."))
    if running.speaker_id == speaker.id:
        raise Conflict("already_speaking", _l("This person is already speaking."))
    running.paused_at = now
    db.session.flush()
    speech = _begin(session, speaker, now, by=by, interrupted=running)
    bc.record_state(session.id)
    return speech


def pause(session: AgendaSession, *, by: User, now: datetime | None = None, if_current: Current = ANY) -> Speech:
    require_moderator(by, session)
    _lock_floor(session)
    now = now or utcnow()
    speeches = _open_speeches(session.id)
    _check_current(speeches, if_current)
    running = next((sp for sp in speeches if sp.paused_at is None), None)
    if running is None:
        raise Conflict("no_running_speech", _l("Nobody is speaking."))
    running.paused_at = now
    bc.record_state(session.id)
    return running


def resume(session: AgendaSession, *, by: User, now: datetime | None = None, if_current: Current = ANY) -> Speech:
    require_moderator(by, session)
    _lock_floor(session)
    now = now or utcnow()
    speeches = _open_speeches(session.id)
    _check_current(speeches, if_current)
    if any(sp.paused_at is None for sp in speeches):
        raise Conflict("floor_busy", _l("Someone is speaking: end or pause that speech first."))
    interrupted = {sp.interrupted_id for sp in speeches if sp.interrupted_id}
    paused = [sp for sp in speeches if sp.id not in interrupted]
    if not paused:
        raise Conflict("no_paused_speech", _l("No speech is paused."))
    speech = paused[-1]
    _fold_pause(speech, now)
    bc.record_state(session.id)
    return speech


def end(session: AgendaSession, *, by: User, now: datetime | None = None, if_current: Current = ANY) -> Speech:
    """End the current speech (running, or paused if none runs); an interjection's end resumes the interrupted."""
    require_moderator(by, session)
    _lock_floor(session)
    now = now or utcnow()
    speeches = _open_speeches(session.id)
    _check_current(speeches, if_current)
    running = next((sp for sp in speeches if sp.paused_at is None), None)
    target = running or (speeches[-1] if speeches else None)
    if target is None:
        raise Conflict("no_open_speech", _l("Nobody has the floor."))
    _end(target, speeches, now, by=by, reason="ended")
    bc.record_state(session.id)
    return target


def _end(target: Speech, speeches: list[Speech], now: datetime, *, by: User | None, reason: str) -> None:
    """Close `target`; if it was an interjection, the speech it interrupted resumes."""
    _close(target, now, by=by, reason=reason)
    if target.interrupted_id is not None:
        back = next((sp for sp in speeches if sp.id == target.interrupted_id and sp.ended_at is None), None)
        if back is not None:
            _fold_pause(back, now)
            db.session.flush()


def _speaks(speech: Speech, attendee: pt.Participant | None, panelist: Panelist | None) -> bool:
    """Is `speech` the actor's own? An attendee's by the participant key of the hand that put them on the list
    (a moderator's or a panelist's entry never matches a participant); a panelist's by their panelist id."""
    if attendee is not None and speech.kind == SpeakerKind.ATTENDEE and speech.speaker_id is not None:
        speaker = db.session.get(Speaker, speech.speaker_id)
        if speaker is not None and speaker.participant_key is not None and speaker.participant_key == attendee.key:
            return True
    return panelist is not None and speech.kind == SpeakerKind.PANELIST and speech.panelist_id == panelist.id


def finish_own_turn(session: AgendaSession, *, by_attendee: pt.Participant | None = None,
                    by_panelist: Panelist | None = None, now: datetime | None = None) -> Speech:
    """The speaker hands the floor back ("I've finished"): their own open speech ends, exactly as a moderator's
    end would (recorded, the stage sends them backstage, an interrupted speech resumes). Anyone else — another
    attendee, a panelist who is not speaking, a moderator, a turn already over — gets `not_your_turn`; moderators
    end speeches from the console (`end`). Their own speech may be paused (a moderator's pause, or someone's
    interjection): they may still give up the rest of their turn.

    Serialized with the moderators' changes on the floor's lock: racing a moderator's end, one of them ends the
    speech and the other is refused (`not_your_turn` here, `no_open_speech` / `floor_changed` there)."""
    # Nobody who could be speaking (a screen, a manager, an interpreter): refused before the floor's lock.
    if by_attendee is None and by_panelist is None:
        raise Forbidden("not_your_turn", _l("You do not have the floor."))
    if by_attendee is not None:
        rate_limit(by_attendee, "finish")  # a page or a script in a loop must not queue on the floor's lock
    if by_attendee is not None and (problem := pt.ticket_problem(by_attendee)):
        raise Forbidden(problem, _l("This ticket was revoked or replaced by a newer one.")
                        if problem == pt.TICKET_REVOKED else _l("This registration was cancelled."))
    _lock_floor(session)
    now = now or utcnow()
    speeches = _open_speeches(session.id)
    running = [sp for sp in speeches if sp.paused_at is None]
    paused = [sp for sp in reversed(speeches) if sp.paused_at is not None]
    mine = next((sp for sp in running + paused if _speaks(sp, by_attendee, by_panelist)), None)
    if mine is None:
        raise Forbidden("not_your_turn", _l("You do not have the floor."))
    _end(mine, speeches, now, by=None, reason="finished")
    bc.record_state(session.id)
    return mine
