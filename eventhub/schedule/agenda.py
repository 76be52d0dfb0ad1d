"""Reading the schedule the way attendees live it: local days, "now" and "next", personal agendas (stars)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from eventhub.core.errors import NotFound
from eventhub.core.timefmt import to_zone
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.registration.models import Registration
from eventhub.schedule.models import AgendaSession, StarredSession

# --- days and "now" ---------------------------------------------------------------------------------------------

def day_bounds(event: Event, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(event.timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)  # UTC: subtraction and comparison are then exact


def event_days(event: Event) -> list[date]:
    first = to_zone(event.starts_at, event.timezone).date()
    last = to_zone(event.ends_at - timedelta(microseconds=1), event.timezone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)][:31]


def now_and_next(sessions: list[AgendaSession], now: datetime) -> tuple[list[AgendaSession], list[AgendaSession]]:
    live = [s for s in sessions if not s.is_cancelled and s.starts_at <= now < s.ends_at]
    upcoming = [s for s in sessions if not s.is_cancelled and s.starts_at > now]
    if not upcoming:
        return live, []
    first = min(s.starts_at for s in upcoming)
    return live, [s for s in upcoming if s.starts_at == first]


# --- personal agendas -----------------------------------------------------------------------------------------

def starred_ids(registration: Registration) -> set[int]:
    return set(db.session.scalars(db.select(StarredSession.session_id)
                                  .where(StarredSession.registration_id == registration.id)))


def toggle_star(registration: Registration, session: AgendaSession) -> bool:
    """Adds or removes a session on an attendee's personal agenda; returns whether it is now starred."""
    if session.event_id != registration.event_id or not session.is_published:
        raise NotFound("session_not_found", _l("No such session in this event."))
    star = db.session.scalar(db.select(StarredSession).where(
        StarredSession.registration_id == registration.id, StarredSession.session_id == session.id))
    if star is not None:
        db.session.delete(star)
        db.session.flush()
        return False
    db.session.add(StarredSession(registration_id=registration.id, session_id=session.id))
    db.session.flush()
    return True


def starred_sessions(registration: Registration) -> list[AgendaSession]:
    return list(db.session.scalars(
        db.select(AgendaSession).join(StarredSession, StarredSession.session_id == AgendaSession.id)
        .options(joinedload(AgendaSession.room))
        .where(StarredSession.registration_id == registration.id, AgendaSession.published_at.is_not(None))
        .order_by(AgendaSession.starts_at)))
