"""Where each person lands after signing in, and the "my sessions" page of moderators and panelists.

The home is what the person does today: of the events they hold a role in, the one running now or next (else the
latest), and of their roles there the one that acts most: organizer → the event dashboard; door staff → the
scanner; moderator or panelist → their sessions (console, projector, green room; a panelist's personal page);
rapporteur → the sessions they write the summary of.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, g, redirect, render_template, url_for
from flask_login import current_user, login_required

from eventhub.auth.models import Role, User
from eventhub.auth.permissions import event_role_required
from eventhub.auth.services import roles_for
from eventhub.core.types import utcnow
from eventhub.events.models import Event
from eventhub.events.services import events_for
from eventhub.extensions import db
from eventhub.schedule import panelists as pan
from eventhub.schedule import services as schedule_services
from eventhub.schedule.models import AgendaSession, Panelist, SessionModerator

bp = Blueprint("home", __name__)

ROLE_ORDER = (Role.ORGANIZER, Role.DOOR_STAFF, Role.MODERATOR, Role.PANELIST, Role.RAPPORTEUR)


def current_event(user: User, now: datetime) -> Event | None:
    """The event running now, else the next one, else the most recent one (None: no role anywhere)."""
    events = [e for e in events_for(user) if not e.is_cancelled] or events_for(user)
    if not events:
        return None
    running_or_next = sorted((e for e in events if e.ends_at >= now), key=lambda e: e.starts_at)
    return running_or_next[0] if running_or_next else max(events, key=lambda e: e.ends_at)


def home_url(user: User, *, now: datetime | None = None) -> str:
    if user.is_admin:
        return url_for("events.manage_index")
    event = current_event(user, now or utcnow())
    if event is None:
        return url_for("events.manage_index")
    roles = roles_for(user, event)
    role = next((r for r in ROLE_ORDER if r in roles), None)
    if role == Role.ORGANIZER:
        return url_for("events.dashboard", event_id=event.id)
    if role == Role.DOOR_STAFF:
        return url_for("checkin.scanner", event_id=event.id)
    if role in (Role.MODERATOR, Role.PANELIST):
        return url_for("home.my_sessions", event_id=event.id)
    if role == Role.RAPPORTEUR:
        return url_for("report_rapporteur.my_sessions", event_id=event.id)
    return url_for("events.manage_index")


def moderated_sessions(user: User, event: Event) -> list[AgendaSession]:
    """The sessions this user moderates by name, else (an event-wide moderator) every session of the event."""
    named = list(db.session.scalars(
        db.select(AgendaSession).join(SessionModerator, SessionModerator.session_id == AgendaSession.id)
        .where(AgendaSession.event_id == event.id, SessionModerator.user_id == user.id,
               AgendaSession.cancelled_at.is_(None)).order_by(AgendaSession.starts_at)))
    return named or schedule_services.sessions_of(event, include_cancelled=False)


def panelist_of(user: User, event: Event) -> Panelist | None:
    return db.session.scalar(db.select(Panelist).where(Panelist.event_id == event.id, Panelist.user_id == user.id))


@bp.get("/home")
@login_required
def home():
    return redirect(home_url(current_user))


@bp.get("/manage/events/<int:event_id>/mine")
@event_role_required(Role.ORGANIZER, Role.MODERATOR, Role.PANELIST)
def my_sessions(event_id: int):
    event: Event = g.event
    roles = roles_for(current_user, event)
    moderating = moderated_sessions(current_user, event) if roles & {Role.ORGANIZER, Role.MODERATOR} else []
    panelist = panelist_of(current_user, event)
    speaking = [s for s, _sp in pan.sessions_for(panelist)] if panelist is not None else []
    personal = (url_for("schedule.panelist_page", slug=event.slug, token=pan.make_link_token(panelist))
                if panelist is not None else None)
    return render_template("events/my_sessions.html", event=event, moderating=moderating, speaking=speaking,
                           personal_url=personal, roles=roles)


@bp.app_template_global("event_roles")
def event_roles(event: Event) -> set[str]:
    """The signed-in user's roles in `event`, as strings, for menus ("organizer", "moderator"…)."""
    if not current_user.is_authenticated:
        return set()
    return {r.value for r in roles_for(current_user, event)}
