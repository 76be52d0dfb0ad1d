"""Where a ticket leads: the agenda and each session's live page, for the ticket page and the ticket emails."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for

from eventhub.core.urls import external_url
from eventhub.events.models import Event
from eventhub.registration.models import AttendanceMode, RegistrationStatus, Ticket
from eventhub.schedule import services as schedule_services
from eventhub.schedule.models import AgendaSession
from eventhub.tickets.codes import format_backup_code


@dataclass(frozen=True)
class SessionLink:
    session: AgendaSession
    live_url: str  # the session's live page as this ticket's holder (Q&A; the stage extends it)


@dataclass(frozen=True)
class Journey:
    admission: bool  # the ticket admits at the door: show the QR code and the backup code
    remote: bool
    waitlisted: bool
    backup_code: str  # "ABCD-2345", or "" when there is nothing to admit
    agenda_url: str | None
    sessions: list[SessionLink]


def schedule_of(event: Event) -> tuple[bool, list[AgendaSession]]:
    """What a journey reads from the schedule: (published, sessions). Read once, before a lock is taken."""
    published = schedule_services.is_published(event)
    return published, (schedule_services.sessions_of(event, published_only=True, include_cancelled=False)
                       if published else [])


def journey(ticket: Ticket, *, external: bool = False,
            schedule: tuple[bool, list[AgendaSession]] | None = None) -> Journey:
    """`schedule`: `schedule_of(event)` when the caller already read it."""
    registration = ticket.registration
    event = registration.event
    remote = registration.mode == AttendanceMode.REMOTE
    waitlisted = registration.status == RegistrationStatus.WAITLISTED
    admission = registration.status == RegistrationStatus.CONFIRMED and not remote

    def link(endpoint: str, **values: Any) -> str:
        return external_url(endpoint, **values) if external else url_for(endpoint, **values)

    published, agenda = schedule if schedule is not None else schedule_of(event)
    sessions = [SessionLink(s, link("qa.attendee_ticket", code=ticket.code, session_id=s.id)) for s in agenda]
    return Journey(
        admission=admission, remote=remote, waitlisted=waitlisted,
        backup_code=format_backup_code(ticket.backup_code or "") if admission else "",
        agenda_url=link("schedule.my_agenda", code=ticket.code) if published else None, sessions=sessions,
    )
