"""Attendees who starred a session are told by email when it moves or is cancelled (in their language, in the
event's zone, with a link to their agenda)."""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from eventhub.core.timefmt import format_in_zone, zone_label
from eventhub.core.urls import external_url
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.mail.services import queue_mail
from eventhub.registration.models import Registration, RegistrationStatus
from eventhub.schedule.models import AgendaSession, StarredSession


def notify_starred(session: AgendaSession, *, cancelled: bool) -> int:
    """Queue one email per live registration that starred `session`; returns how many."""
    event = db.session.get(Event, session.event_id)
    if event is None:
        return 0
    registrations = list(db.session.scalars(
        db.select(Registration).join(StarredSession, StarredSession.registration_id == Registration.id)
        .where(StarredSession.session_id == session.id, Registration.status != RegistrationStatus.CANCELLED)
        .order_by(Registration.id)))
    for registration in registrations:
        ticket = registration.ticket
        if ticket is None:
            continue
        with force_locale(registration.locale):
            context = {"registration": registration, "event": event, "session": session, "cancelled": cancelled,
                       "starts": format_in_zone(session.starts_at, event.timezone),
                       "ends": format_in_zone(session.ends_at, event.timezone, "time"),
                       "zone": zone_label(event.timezone, session.starts_at),
                       "room": session.room.name if session.room else "",
                       "agenda_url": external_url("schedule.my_agenda", code=ticket.code)}
            subject = (_("Cancelled: %(title)s", title=session.title) if cancelled
                       else _("Schedule change: %(title)s", title=session.title))
            queue_mail(kind="starred_session_change", to=registration.email, event_id=event.id, subject=subject,
                       text=render_template("mail/starred_change.txt", **context))
    return len(registrations)
