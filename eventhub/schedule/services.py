"""Schedule rules: sessions, conflicts, publication, changes after publication and personal agendas.
Rooms are in rooms.py, the limits and id lookup every schedule module shares in common.py.

A session is refused when its room or one of its people is already busy, when it falls outside the event, or
when it ends before it starts. Times are stored in UTC; day boundaries are computed in the event's zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_
from sqlalchemy.orm import joinedload, selectinload

from eventhub.auth.models import EventRole, Role, User
from eventhub.core.errors import Conflict, NotFound, ValidationFailed, strip_control
from eventhub.core.text import one_line as _clean
from eventhub.core.timefmt import format_in_zone
from eventhub.core.types import utcnow
from eventhub.events.models import EVENT_LANGUAGES, Event
from eventhub.extensions import db
from eventhub.schedule.agenda import day_bounds
from eventhub.schedule.common import DESCRIPTION_MAX, TITLE_MAX, check_url, get_by_id
from eventhub.schedule.common import MAX_ID as MAX_ID  # re-exported: callers use `services.<name>`
from eventhub.schedule.common import ROOM_NAME_MAX as ROOM_NAME_MAX
from eventhub.schedule.common import URL_MAX as URL_MAX
from eventhub.schedule.models import (
    AgendaSession,
    Panelist,
    ParticipationMode,
    Room,
    ScheduleState,
    SessionKind,
    SessionModerator,
    SessionPanelist,
)
from eventhub.schedule.rooms import RoomData as RoomData
from eventhub.schedule.rooms import create_room as create_room
from eventhub.schedule.rooms import delete_room as delete_room
from eventhub.schedule.rooms import get_room as get_room
from eventhub.schedule.rooms import rooms_of as rooms_of
from eventhub.schedule.rooms import update_room as update_room
from eventhub.schedule.starred import notify_starred
from eventhub.signals import session_changed, session_saved

# --- sessions -------------------------------------------------------------------------------------------------

@dataclass
class SessionData:
    title: str
    starts_at: datetime
    ends_at: datetime
    room_id: int | None = None
    kind: SessionKind | str = SessionKind.PANEL
    description: str = ""
    languages: tuple[str, ...] = ("fr",)
    meeting_url: str = ""
    livestream_url: str = ""
    # (panelist id, mode or None for the panelist's own); None leaves the current list as it is.
    panelists: list[tuple[int, ParticipationMode | str | None]] | None = None
    moderator_ids: list[int] | None = None  # user ids; None leaves them as they are


def session_data_of(session: AgendaSession) -> SessionData:
    return SessionData(
        title=session.title, starts_at=session.starts_at, ends_at=session.ends_at, room_id=session.room_id,
        kind=session.kind, description=session.description, languages=tuple(session.language_list),
        meeting_url=session.meeting_url, livestream_url=session.livestream_url,
    )


def _when(value: datetime, event: Event) -> str:
    return format_in_zone(value, event.timezone, "time")


def _validate_session(event: Event, data: SessionData, session: AgendaSession | None) -> SessionData:
    errors: dict[str, list[str]] = {}

    def err(name: str, message: object) -> None:
        errors.setdefault(name, []).append(str(message))

    title = _clean(data.title)
    if not title:
        err("title", _l("A title is required."))
    elif len(title) > TITLE_MAX:
        err("title", _l("At most %(n)d characters.", n=TITLE_MAX))
    description = strip_control(data.description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        err("description", _l("At most %(n)d characters.", n=DESCRIPTION_MAX))
    try:
        kind = SessionKind(data.kind)
    except ValueError:
        kind = SessionKind.PANEL
        err("kind", _l("Choose a kind of session."))
    languages = tuple(dict.fromkeys(data.languages or ()))
    if not languages or any(code not in EVENT_LANGUAGES for code in languages):
        err("languages", _l("Choose among the supported languages."))
    meeting_url = check_url(data.meeting_url, "meeting_url", errors)
    livestream_url = check_url(data.livestream_url, "livestream_url", errors)
    if data.room_id is not None:
        room = get_by_id(Room, data.room_id)
        if room is None or room.event_id != event.id:
            err("room_id", _l("Choose a room of this event."))
    for name in ("starts_at", "ends_at"):
        value = getattr(data, name)
        if not isinstance(value, datetime) or value.tzinfo is None:
            err(name, _l("A time zone offset is required."))
    panelists: list[tuple[int, ParticipationMode | str | None]] | None = None
    if data.panelists is not None:
        panelists = []
        for pid, mode in dict(data.panelists).items():
            panelist = get_by_id(Panelist, pid)
            if panelist is None or panelist.event_id != event.id:
                err("panelists", _l("Choose panelists of this event."))
                break
            try:
                panelists.append((pid, ParticipationMode(mode) if mode else None))
            except ValueError:
                err("panelists", _l("Choose on stage or remote."))
                break
    moderator_ids = None
    if data.moderator_ids is not None:
        moderator_ids = list(dict.fromkeys(data.moderator_ids))
        allowed = set(db.session.scalars(db.select(EventRole.user_id).where(
            EventRole.event_id == event.id, EventRole.role.in_([Role.MODERATOR, Role.ORGANIZER]))))
        if any(uid not in allowed for uid in moderator_ids):
            err("moderator_ids", _l("Moderators must be moderators or organizers of this event."))
    if errors:
        raise ValidationFailed("invalid_session", _l("Please correct the errors below."), fields=errors)
    if data.ends_at <= data.starts_at:
        message = _l("The session must end after it starts.") if data.ends_at < data.starts_at else \
            _l("The session has no length: it must end after it starts.")
        raise ValidationFailed("invalid_times", message, fields={"ends_at": [str(message)]})
    if data.starts_at < event.starts_at or data.ends_at > event.ends_at:
        message = _l("The session must fit within the event: %(start)s to %(end)s.",
                     start=format_in_zone(event.starts_at, event.timezone, "short"),
                     end=format_in_zone(event.ends_at, event.timezone, "short"))
        raise ValidationFailed("outside_event", message, fields={"starts_at": [str(message)]})
    return SessionData(
        title=title, starts_at=data.starts_at, ends_at=data.ends_at, room_id=data.room_id, kind=kind,
        description=description, languages=languages, meeting_url=meeting_url, livestream_url=livestream_url,
        panelists=panelists, moderator_ids=moderator_ids,
    )


def _overlapping(event: Event, starts_at: datetime, ends_at: datetime, exclude_id: int | None):
    query = db.select(AgendaSession).where(
        AgendaSession.event_id == event.id, AgendaSession.cancelled_at.is_(None),
        AgendaSession.starts_at < ends_at, AgendaSession.ends_at > starts_at,
    ).order_by(AgendaSession.starts_at)
    if exclude_id is not None:
        query = query.where(AgendaSession.id != exclude_id)
    return query


def check_conflicts(event: Event, data: SessionData, session: AgendaSession | None) -> None:
    """Room and people double-booked: refused with a message naming the other session."""
    exclude = session.id if session is not None else None
    if data.room_id is not None:
        other = db.session.scalars(_overlapping(event, data.starts_at, data.ends_at, exclude)
                                   .where(AgendaSession.room_id == data.room_id)).first()
        if other is not None:
            room = db.session.get_one(Room, data.room_id)
            message = _l("%(room)s is already taken by “%(title)s” from %(start)s to %(end)s.",
                         room=room.name, title=other.title, start=_when(other.starts_at, event),
                         end=_when(other.ends_at, event))
            raise Conflict("room_conflict", message, fields={"starts_at": [str(message)]})
    panelist_ids = [pid for pid, _mode in data.panelists] if data.panelists is not None else (
        [sp.panelist_id for sp in session.panelists] if session is not None else [])
    moderator_ids = data.moderator_ids if data.moderator_ids is not None else (
        [m.user_id for m in session.moderators] if session is not None else [])
    if not panelist_ids and not moderator_ids:
        return
    people_users = set(moderator_ids) | set(db.session.scalars(db.select(Panelist.user_id).where(
        Panelist.id.in_(panelist_ids), Panelist.user_id.is_not(None))))
    overlapping = db.session.scalars(_overlapping(event, data.starts_at, data.ends_at, exclude)
                                     .options(*with_people())).all()
    for other in overlapping:
        busy: list[str] = []
        for sp in other.panelists:
            if sp.panelist_id in panelist_ids or (sp.panelist.user_id and sp.panelist.user_id in people_users):
                busy.append(sp.panelist.name)
        for m in other.moderators:
            if m.user_id in people_users:
                busy.append(m.user.name)
        if busy:
            message = _l("%(people)s already speaks in “%(title)s” from %(start)s to %(end)s.",
                         people=", ".join(dict.fromkeys(busy)), title=other.title,
                         start=_when(other.starts_at, event), end=_when(other.ends_at, event))
            raise Conflict("person_conflict", message, fields={"panelists": [str(message)]})


def create_session(event: Event, data: SessionData) -> AgendaSession:
    clean = _validate_session(event, data, None)
    check_conflicts(event, clean, None)
    session = AgendaSession(event_id=event.id)
    _apply(session, clean)
    db.session.add(session)
    db.session.flush()
    _apply_people(session, clean)
    session_saved.send(session, created=True)  # its Q&A settings and stage, in this transaction
    db.session.flush()
    return session


def update_session(session: AgendaSession, data: SessionData, *, now: datetime | None = None) -> AgendaSession:
    """Edit or move. Once published, attendees see a “changed” badge and the panelists concerned are emailed."""
    if session.is_cancelled:
        raise Conflict("session_cancelled", _l("This session is cancelled."))
    event = db.session.get_one(Event, session.event_id)
    clean = _validate_session(event, data, session)
    check_conflicts(event, clean, session)
    before = _visible_state(session)
    before_panelists = {sp.panelist_id for sp in session.panelists}
    before_place = (session.starts_at, session.ends_at, session.room_id)
    _apply(session, clean)
    _apply_people(session, clean)
    session_saved.send(session, created=False)  # a kind that now has a stage gets it
    db.session.flush()
    if session.is_published and _visible_state(session) != before:
        session.changed_at = now or utcnow()
        affected = before_panelists | {sp.panelist_id for sp in session.panelists}
        session_changed.send(session, changes={"panelist_ids": affected, "cancelled": False})
        if (session.starts_at, session.ends_at, session.room_id) != before_place:
            notify_starred(session, cancelled=False)  # attendees who starred it: only a move concerns them
    return session


def move_session(session: AgendaSession, *, starts_at: datetime, ends_at: datetime, room_id: int | None,
                 now: datetime | None = None) -> AgendaSession:
    data = session_data_of(session)
    data.starts_at, data.ends_at, data.room_id = starts_at, ends_at, room_id
    return update_session(session, data, now=now)


def _visible_state(session: AgendaSession) -> tuple:
    return (session.title, session.starts_at, session.ends_at, session.room_id, session.meeting_url,
            tuple(sorted((sp.panelist_id, sp.effective_mode.value) for sp in session.panelists)))


def _apply(session: AgendaSession, data: SessionData) -> None:
    session.title, session.description, session.kind = data.title, data.description, SessionKind(data.kind)
    session.starts_at, session.ends_at, session.room_id = data.starts_at, data.ends_at, data.room_id
    session.languages = ",".join(data.languages)
    session.meeting_url, session.livestream_url = data.meeting_url, data.livestream_url


def _apply_people(session: AgendaSession, data: SessionData) -> None:
    if data.panelists is not None:
        wanted = dict(data.panelists)
        for sp in list(session.panelists):
            if sp.panelist_id not in wanted:
                session.panelists.remove(sp)
            else:
                mode = wanted.pop(sp.panelist_id)
                sp.mode = ParticipationMode(mode) if mode else None
        for pid, mode in wanted.items():
            session.panelists.append(SessionPanelist(panelist_id=pid, mode=ParticipationMode(mode) if mode else None))
    if data.moderator_ids is not None:
        wanted_ids = list(data.moderator_ids)
        for m in list(session.moderators):
            if m.user_id not in wanted_ids:
                session.moderators.remove(m)
            else:
                wanted_ids.remove(m.user_id)
        for uid in wanted_ids:
            session.moderators.append(SessionModerator(user_id=uid))


def cancel_session(session: AgendaSession, *, now: datetime | None = None) -> AgendaSession:
    if session.is_cancelled:
        raise Conflict("session_cancelled", _l("This session is already cancelled."))
    now = now or utcnow()
    session.cancelled_at = now
    if session.is_published:
        session.changed_at = now
        session_changed.send(session, changes={"panelist_ids": {sp.panelist_id for sp in session.panelists},
                                               "cancelled": True})
        notify_starred(session, cancelled=True)
    db.session.flush()
    return session


def delete_session(session: AgendaSession) -> None:
    """Only drafts disappear; attendees may have planned around a published session, so it is cancelled."""
    if session.is_published:
        raise Conflict("session_published", _l("This session is published: cancel it instead."))
    db.session.delete(session)
    db.session.flush()


def get_session(event: Event, session_id: int) -> AgendaSession:
    session = get_by_id(AgendaSession, session_id)
    if session is None or session.event_id != event.id:
        raise NotFound("session_not_found", _l("No such session in this event."))
    return session


def with_people():  # noqa: ANN201
    """Loader options for pages and feeds that show each session's room, panelists and moderators: a few
    queries in all instead of several per session."""
    return (joinedload(AgendaSession.room),
            selectinload(AgendaSession.panelists).joinedload(SessionPanelist.panelist),
            selectinload(AgendaSession.moderators).joinedload(SessionModerator.user))


def sessions_of(event: Event, *, published_only: bool = False, include_cancelled: bool = True,
                day: date | None = None) -> list[AgendaSession]:
    query = db.select(AgendaSession).where(AgendaSession.event_id == event.id).options(*with_people())
    if published_only:
        query = query.where(AgendaSession.published_at.is_not(None))
    if not include_cancelled:
        query = query.where(AgendaSession.cancelled_at.is_(None))
    if day is not None:
        start, end = day_bounds(event, day)
        query = query.where(AgendaSession.starts_at < end, AgendaSession.ends_at > start)
    return list(db.session.scalars(query.order_by(AgendaSession.starts_at, AgendaSession.room_id,
                                                  AgendaSession.id)))


# --- publication ----------------------------------------------------------------------------------------------

def schedule_state(event: Event) -> ScheduleState:
    state = db.session.get(ScheduleState, event.id)
    if state is None:
        state = ScheduleState(event_id=event.id)
        db.session.add(state)
    return state


def is_published(event: Event) -> bool:
    state = db.session.get(ScheduleState, event.id)
    return state is not None and state.published_at is not None


def publish_schedule(event: Event, *, now: datetime | None = None) -> int:
    """Attendees see the schedule and every session ready so far. Returns how many sessions became visible."""
    now = now or utcnow()
    state = schedule_state(event)
    state.published_at = state.published_at or now
    drafts = db.session.scalars(db.select(AgendaSession).where(
        AgendaSession.event_id == event.id, AgendaSession.published_at.is_(None),
        AgendaSession.cancelled_at.is_(None))).all()
    for session in drafts:
        session.published_at = now
    db.session.flush()
    return len(drafts)


def unpublished_count(event: Event) -> int:
    return int(db.session.scalar(db.select(db.func.count()).select_from(AgendaSession).where(
        AgendaSession.event_id == event.id, AgendaSession.published_at.is_(None),
        AgendaSession.cancelled_at.is_(None))) or 0)


def moderator_choices(event: Event) -> list[User]:
    return list(db.session.scalars(
        db.select(User).join(EventRole, EventRole.user_id == User.id)
        .where(EventRole.event_id == event.id, or_(EventRole.role == Role.MODERATOR, EventRole.role == Role.ORGANIZER))
        .distinct().order_by(User.name)))
