"""Calendar feeds (RFC 5545): the whole event, an attendee's personal agenda, a panelist's own sessions."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from icalendar import Calendar
from icalendar import Event as IcsEvent

from eventhub.core.urls import external_url
from eventhub.events.models import Event
from eventhub.schedule.models import AgendaSession


def session_uid(session: AgendaSession) -> str:
    return f"session-{session.id}@eventhub"


def build_calendar(event: Event, sessions: list[AgendaSession], *, name: str, zone: str | None = None,
                   location_for: Callable[[AgendaSession], str | None] | None = None) -> bytes:
    """Times carry a TZID (the viewer's zone, the event's by default) with its VTIMEZONE."""
    zone = zone or event.timezone
    tz = ZoneInfo(zone)
    cal = Calendar()
    cal.add("prodid", "-//EventHub//Schedule//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", zone)
    for session in sessions:
        item = IcsEvent()
        item.add("uid", session_uid(session))
        item.add("summary", session.title)
        item.add("dtstart", session.starts_at.astimezone(tz))
        item.add("dtend", session.ends_at.astimezone(tz))
        item.add("dtstamp", session.changed_at or session.updated_at)
        item.add("last-modified", session.updated_at)
        item.add("sequence", int((session.changed_at or session.created_at).timestamp()) % 2_000_000_000
                 if session.changed_at else 0)
        if session.description:
            item.add("description", session.description)
        location = location_for(session) if location_for else None
        if location is None:
            location = ", ".join(p for p in ((session.room.name if session.room else ""), event.venue) if p)
        if location:
            item.add("location", location)
        item.add("url", external_url("schedule.session_page", slug=event.slug, session_id=session.id))
        item.add("status", "CANCELLED" if session.is_cancelled else "CONFIRMED")
        cal.add_component(item)
    cal.add_missing_timezones()
    return cal.to_ical()
