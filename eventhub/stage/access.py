"""Who is asking, and what they may do on a stage: stage managers (the session's moderators and the event's
organizers), the session's panelists by personal link or account, the hall's screen and room feed by the stage's
key, and attendees with a ticket of the event (receive only)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from eventhub.auth.models import Role, User
from eventhub.auth.services import has_role
from eventhub.core.errors import Forbidden
from eventhub.extensions import db
from eventhub.qa import participants as pt
from eventhub.registration.models import Registration, RegistrationStatus
from eventhub.schedule import panelists as pan
from eventhub.schedule.models import AgendaSession, Panelist, SessionModerator, SessionPanelist
from eventhub.stage.models import Stage, StageRole


@dataclass(frozen=True)
class Holder:
    """An identity that may ask for stage credentials. Exactly one of the ids is set, except for the screen and
    the room feed (the stage key) which carry none."""

    kind: StageRole
    user_id: int | None = None
    panelist_id: int | None = None
    registration_id: int | None = None
    event_id: int | None = None
    name: str = ""
    channel_id: int | None = None  # an interpreter: their interpretation channel (revoking its link cuts them)
    participant: pt.Participant | None = None  # a ticket holder: who they are on the floor (their hand's key)


def is_stage_manager(user: User | None, session: AgendaSession) -> bool:
    """Organizers of the event (and admins), or a moderator named on this session."""
    if user is None:
        return False
    if has_role(user, session.event_id, Role.ORGANIZER):
        return True
    if not has_role(user, session.event_id, Role.MODERATOR):
        return False
    return db.session.scalar(db.select(SessionModerator.id).where(
        SessionModerator.session_id == session.id, SessionModerator.user_id == user.id)) is not None


def require_stage_manager(user: User | None, session: AgendaSession) -> User:
    if user is None or not is_stage_manager(user, session):
        raise Forbidden("not_stage_manager", _l("Only this session's moderators and the organizers may do this."))
    return user


def panelist_on_session(panelist: Panelist | None, session: AgendaSession) -> bool:
    if panelist is None or panelist.event_id != session.event_id:
        return False
    return db.session.scalar(db.select(SessionPanelist.id).where(
        SessionPanelist.session_id == session.id, SessionPanelist.panelist_id == panelist.id)) is not None


def panelist_holder(token: str) -> Holder | None:
    panelist = pan.panelist_from_token(token) if isinstance(token, str) else None
    if panelist is None:
        return None
    return Holder(StageRole.PANELIST, panelist_id=panelist.id, event_id=panelist.event_id, name=panelist.name)


def account_panelist(user: User | None, session: AgendaSession) -> Panelist | None:
    """The panelist of this session a signed-in account is (panelists with an account need no link)."""
    if user is None:
        return None
    return db.session.scalar(db.select(Panelist).join(SessionPanelist, SessionPanelist.panelist_id == Panelist.id)
                             .where(SessionPanelist.session_id == session.id, Panelist.user_id == user.id))


def ticket_holder(code: str) -> Holder | None:
    """A confirmed, unrevoked ticket's holder (remote or in the room: both may follow the stage)."""
    participant = pt.from_ticket(code)
    if participant is None or participant.registration_id is None:
        return None
    registration = db.session.get(Registration, participant.registration_id)
    if registration is None or registration.status != RegistrationStatus.CONFIRMED:
        return None
    return Holder(StageRole.ATTENDEE, registration_id=registration.id, event_id=registration.event_id,
                  name=registration.name, participant=participant)


def key_holder(stage: Stage, key: object, *, room_feed: bool) -> Holder | None:
    if not isinstance(key, str) or not key or len(key) > 100 or not hmac.compare_digest(key, stage.screen_key):
        return None
    return Holder(StageRole.ROOM_FEED if room_feed else StageRole.SCREEN, event_id=stage.event_id)


def manager_holder(user: User) -> Holder:
    return Holder(StageRole.MANAGER, user_id=user.id, name=user.name)


def require_same_event(holder: Holder, session: AgendaSession) -> None:
    if holder.event_id is not None and holder.event_id != session.event_id:
        raise Forbidden("not_on_this_stage", _l("Your link or ticket is for another event."))


def still_valid(holder_kind: StageRole, *, user_id: int | None, registration_id: int | None,
                panelist_id: int | None, session: AgendaSession) -> bool:
    """Re-checked by the sweep: does the token's holder still have the right?"""
    if holder_kind == StageRole.MANAGER:
        user = db.session.get(User, user_id) if user_id else None
        return user is not None and user.is_active_account and is_stage_manager(user, session)
    if holder_kind == StageRole.ATTENDEE:
        registration = db.session.get(Registration, registration_id) if registration_id else None
        if registration is None or registration.status != RegistrationStatus.CONFIRMED:
            return False
        return any(t.revoked_at is None for t in registration.tickets)
    if holder_kind == StageRole.PANELIST:
        return panelist_on_session(db.session.get(Panelist, panelist_id) if panelist_id else None, session)
    return True
