"""The list of speakers: sessions, settings, who moderates, delegations, and the entries (add, edit, remove,
reorder). Speeches are in eventhub/floor/speeches.py. Services flush, never commit; every change is recorded for
broadcast (eventhub/floor/broadcast.py)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from eventhub.auth.models import Role, User
from eventhub.auth.services import has_role
from eventhub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed, strip_control
from eventhub.core.ids import valid_id as valid_id  # re-exported: the floor's modules use services.valid_id
from eventhub.core.types import utcnow
from eventhub.extensions import db
from eventhub.floor import broadcast as bc
from eventhub.floor.models import Delegation, FloorSettings, Speaker, SpeakerKind, SpeakerState
from eventhub.schedule.models import AgendaSession, ParticipationMode, SessionPanelist

BUDGET_MAX = 4 * 3600
NAME_MAX = 200


def get_session(session_id: Any, *, published_only: bool = True) -> AgendaSession:
    session = db.session.get(AgendaSession, session_id) if valid_id(session_id) else None
    if session is None or (published_only and not session.is_published):
        raise NotFound("session_not_found", _l("No such session."))
    return session


def session_of(session_id: int) -> AgendaSession:
    """The session a speaker, hand or channel belongs to (it exists: they are deleted with it)."""
    session = db.session.get(AgendaSession, session_id)
    if session is None:
        raise NotFound("session_not_found", _l("No such session."))
    return session


def get_settings(session: AgendaSession) -> FloorSettings:
    """The session's floor settings, created on first use (a concurrent creator wins harmlessly)."""
    settings = db.session.get(FloorSettings, session.id)
    if settings is not None:
        return settings
    try:
        with db.session.begin_nested():
            settings = FloorSettings(session_id=session.id, event_id=session.event_id, seq=0,
                                     show_timer_on_screen=False, hands_open=True)
            db.session.add(settings)
    except IntegrityError:
        settings = db.session.get(FloorSettings, session.id, populate_existing=True)
    assert settings is not None
    return settings


def is_moderator(user: User | None, session: AgendaSession) -> bool:
    """The event's organizers and moderators (as for the Q&A console), and admins."""
    return has_role(user, session.event_id, Role.MODERATOR, Role.ORGANIZER)


def require_moderator(user: User | None, session: AgendaSession) -> User:
    if user is None or not is_moderator(user, session):
        raise Forbidden("not_moderator", _l("Only the session's moderators and the organizers may do this."))
    return user


def _budget(value: int | None) -> int | None:
    if value is None:
        return None
    if not valid_id(value) or value > BUDGET_MAX:
        message = _l("A speaking time is between 1 second and 4 hours.")
        raise ValidationFailed("invalid_budget", message, fields={"budget_seconds": [str(message)]})
    return value


def update_settings(session: AgendaSession, *, by: User, default_budget_seconds: int | None,
                    show_timer_on_screen: bool, hands_open: bool) -> FloorSettings:
    require_moderator(by, session)
    settings = get_settings(session)
    settings.default_budget_seconds = _budget(default_budget_seconds)
    settings.show_timer_on_screen, settings.hands_open = show_timer_on_screen, hands_open
    settings.updated_at = utcnow()
    bc.record_state(session.id)
    return settings


# --- delegations ----------------------------------------------------------------------------------------------

def get_delegation(session: AgendaSession, delegation_id: Any) -> Delegation:
    d = db.session.get(Delegation, delegation_id) if valid_id(delegation_id) else None
    if d is None or d.session_id != session.id:
        raise NotFound("delegation_not_found", _l("No such delegation in this session."))
    return d


def set_delegation(session: AgendaSession, *, by: User, name: str, country: str = "",
                   budget_seconds: int | None = None) -> Delegation:
    """Create or update (by name) a delegation; its country's panelists join it when added to the list."""
    require_moderator(by, session)
    name = " ".join(strip_control(name or "").split())
    if not name or len(name) > 80:
        message = _l("A delegation needs a name of at most 80 characters.")
        raise ValidationFailed("invalid_delegation", message, fields={"name": [str(message)]})
    country = (country or "").strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        raise ValidationFailed("invalid_delegation", _l("Choose a country from the list."),
                               fields={"country": [str(_l("Choose a country from the list."))]})
    get_settings(session)
    d = db.session.scalar(db.select(Delegation).where(Delegation.session_id == session.id, Delegation.name == name))
    if d is None:
        d = Delegation(session_id=session.id, name=name)
        db.session.add(d)
    d.country, d.budget_seconds = country, _budget(budget_seconds)
    db.session.flush()
    for speaker in db.session.scalars(db.select(Speaker).where(Speaker.session_id == session.id,
                                                               Speaker.delegation_id.is_(None))):
        if country and speaker.panelist_id is not None and _panelist_country(speaker) == country:
            speaker.delegation_id = d.id
    bc.record_state(session.id)
    return d


def _panelist_country(speaker: Speaker) -> str:
    sp = db.session.scalar(db.select(SessionPanelist).where(SessionPanelist.session_id == speaker.session_id,
                                                            SessionPanelist.panelist_id == speaker.panelist_id))
    return sp.panelist.country if sp is not None else ""


# --- the list -------------------------------------------------------------------------------------------------

def get_speaker(session_id_or_none: int | None, speaker_id: Any) -> Speaker:
    s = db.session.get(Speaker, speaker_id) if valid_id(speaker_id) else None
    if s is None or (session_id_or_none is not None and s.session_id != session_id_or_none):
        raise NotFound("speaker_not_found", _l("No such entry in the list of speakers."))
    return s


def _waiting(session_id: int) -> list[Speaker]:
    return list(db.session.scalars(db.select(Speaker).where(Speaker.session_id == session_id,
                                                            Speaker.state != SpeakerState.DONE)
                                   .order_by(Speaker.position, Speaker.id)))


def add_speaker(session: AgendaSession, *, by: User, kind: str, panelist_id: int | None = None,
                user_id: int | None = None, name: str | None = None, delegation_id: int | None = None,
                budget_seconds: int | None = None, participant_key: str | None = None, remote: bool | None = None,
                video_allowed: bool = False, hand_id: int | None = None) -> Speaker:
    """Append an entry: a panelist of the session, a moderator, or an attendee (from an accepted hand)."""
    require_moderator(by, session)
    get_settings(session)
    try:
        kind_ = SpeakerKind(kind)
    except ValueError:
        raise ValidationFailed("invalid_speaker", _l("Choose a panelist, a moderator or an attendee."),
                               fields={"kind": [str(_l("Choose a panelist, a moderator or an attendee."))]}) from None
    speaker = Speaker(session_id=session.id, kind=kind_, video_allowed=bool(video_allowed), hand_id=hand_id,
                      budget_seconds=_budget(budget_seconds), participant_key=participant_key)
    country = ""
    if kind_ is SpeakerKind.PANELIST:
        sp = db.session.scalar(db.select(SessionPanelist).where(SessionPanelist.session_id == session.id,
                                                                SessionPanelist.panelist_id == panelist_id)) \
            if valid_id(panelist_id) else None
        if sp is None:
            raise NotFound("panelist_not_found", _l("This person is not a panelist of the session."))
        speaker.panelist_id, speaker.name = sp.panelist_id, sp.panelist.name
        speaker.remote = sp.effective_mode == ParticipationMode.REMOTE
        country = sp.panelist.country
    elif kind_ is SpeakerKind.MODERATOR:
        user = db.session.get(User, user_id) if valid_id(user_id) else by
        if user is None or not is_moderator(user, session):
            raise NotFound("moderator_not_found", _l("This person is not a moderator of the session."))
        speaker.user_id, speaker.name, speaker.remote = user.id, user.name, False
    else:
        clean = " ".join(strip_control(name or "").split())
        if not clean or len(clean) > NAME_MAX:
            message = _l("A name is required (at most 200 characters).")
            raise ValidationFailed("invalid_speaker", message, fields={"name": [str(message)]})
        speaker.name, speaker.remote = clean, bool(remote)
    if delegation_id is not None:
        speaker.delegation_id = get_delegation(session, delegation_id).id
    elif country:
        d = db.session.scalar(db.select(Delegation).where(Delegation.session_id == session.id,
                                                          Delegation.country == country))
        speaker.delegation_id = d.id if d else None
    last = _waiting(session.id)
    speaker.position = (last[-1].position + 1) if last else 0
    db.session.add(speaker)
    bc.record_state(session.id)
    return speaker


def update_speaker(speaker: Speaker, *, by: User, delegation_id: int | None, budget_seconds: int | None,
                   video_allowed: bool | None = None) -> Speaker:
    session = session_of(speaker.session_id)
    require_moderator(by, session)
    speaker.delegation_id = get_delegation(session, delegation_id).id if delegation_id is not None else None
    speaker.budget_seconds = _budget(budget_seconds)
    if video_allowed is not None:
        speaker.video_allowed = video_allowed
    bc.record_state(speaker.session_id)
    return speaker


def remove_speaker(speaker: Speaker, *, by: User) -> None:
    require_moderator(by, session_of(speaker.session_id))
    if speaker.state == SpeakerState.SPEAKING:
        raise Conflict("speaker_speaking", _l("End this speech before removing the speaker from the list."))
    session_id = speaker.session_id
    db.session.delete(speaker)
    bc.record_state(session_id)


def move_speaker(speaker: Speaker, *, by: User, position: int | None = None, direction: str | None = None) -> None:
    """Move an entry to `position` (0 = first of those waiting) or one step "up"/"down"; positions renumbered."""
    require_moderator(by, session_of(speaker.session_id))
    entries = _waiting(speaker.session_id)
    if speaker not in entries:
        raise Conflict("speaker_done", _l("This speaker has already spoken."))
    index = entries.index(speaker)
    if direction is not None:
        target = index - 1 if direction == "up" else index + 1 if direction == "down" else None
        if target is None:
            raise ValidationFailed("invalid_direction", _l("Move up or down."))
    elif position is not None and isinstance(position, int) and not isinstance(position, bool):
        target = position
    else:
        raise ValidationFailed("invalid_position", _l("Give a position in the list."))
    target = max(0, min(len(entries) - 1, target))
    entries.insert(target, entries.pop(index))
    for i, entry in enumerate(entries):
        entry.position = i
    bc.record_state(speaker.session_id)
