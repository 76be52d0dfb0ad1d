"""Where a ticket leads: the agenda and each session's live pages, for the ticket page and the ticket emails."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import url_for

from eventhub import signals
from eventhub.core.urls import external_url
from eventhub.events.models import Event
from eventhub.registration.models import AttendanceMode, RegistrationStatus, Ticket
from eventhub.schedule import services as schedule_services
from eventhub.schedule.models import AgendaSession
from eventhub.tickets.codes import format_backup_code


@dataclass(frozen=True)
class SessionLink:
    session: AgendaSession
    live_url: str  # the session's Q&A (and floor) page as this ticket's holder
    stage_url: str | None = None  # the session's stage (video, "you have the floor", interpretation), if it has one


@dataclass(frozen=True)
class Journey:
    admission: bool  # the ticket admits at the door: show the QR code and the backup code
    remote: bool
    waitlisted: bool
    backup_code: str  # "ABCD-2345", or "" when there is nothing to admit
    agenda_url: str | None
    sessions: list[SessionLink]

    @property
    def stage(self) -> bool:
        """Some session offers its stage to this ticket."""
        return any(link.stage_url for link in self.sessions)


@dataclass(frozen=True)
class Schedule:
    """What a journey reads from the schedule and the stage: read once, before a registration's seat claim."""

    published: bool
    sessions: list[AgendaSession]
    staged: frozenset[int] = field(default_factory=frozenset)  # ids of the sessions that have a stage


def staged_sessions(event: Event, session_ids: list[int]) -> frozenset[int]:
    """The sessions among `session_ids` that have a stage (the stage area answers; none when it is not installed)."""
    if not session_ids:
        return frozenset()
    found: set[int] = set()
    for _receiver, ids in signals.staged_sessions_collect.send(event, session_ids=session_ids):
        found.update(ids or ())
    return frozenset(found & set(session_ids))


def schedule_of(event: Event) -> Schedule:
    published = schedule_services.is_published(event)
    if not published:
        return Schedule(False, [])
    sessions = schedule_services.sessions_of(event, published_only=True, include_cancelled=False)
    return Schedule(True, sessions, staged_sessions(event, [s.id for s in sessions]))


def may_watch_stage(ticket: Ticket) -> bool:
    """The stage's own rule (eventhub.stage.access.ticket_holder): a confirmed registration's unrevoked ticket, in
    the room or remote. A waitlisted ticket may follow the Q&A, not the stage."""
    return ticket.revoked_at is None and ticket.registration.status == RegistrationStatus.CONFIRMED


@dataclass(frozen=True)
class StageLink:
    url: str
    remote: bool  # a remote ticket watches the stage; in the room it is the phone's interpretation and close-up


def stage_link(ticket: Ticket, session: AgendaSession) -> StageLink | None:
    """One session's stage for this ticket (the live Q&A page links to it), or None."""
    registration = ticket.registration
    if not may_watch_stage(ticket) or session.is_cancelled or not session.is_published \
            or session.id not in staged_sessions(registration.event, [session.id]):
        return None
    return StageLink(url_for("stage.attendee", code=ticket.code, session_id=session.id),
                     remote=registration.mode == AttendanceMode.REMOTE)


def journey(ticket: Ticket, *, external: bool = False, schedule: Schedule | None = None) -> Journey:
    """`schedule`: `schedule_of(event)` when the caller already read it."""
    registration = ticket.registration
    event = registration.event
    remote = registration.mode == AttendanceMode.REMOTE
    waitlisted = registration.status == RegistrationStatus.WAITLISTED
    admission = registration.status == RegistrationStatus.CONFIRMED and not remote

    def link(endpoint: str, **values: Any) -> str:
        return external_url(endpoint, **values) if external else url_for(endpoint, **values)

    plan = schedule if schedule is not None else schedule_of(event)
    watch = may_watch_stage(ticket)
    sessions = [SessionLink(s, link("qa.attendee_ticket", code=ticket.code, session_id=s.id),
                            link("stage.attendee", code=ticket.code, session_id=s.id)
                            if watch and s.id in plan.staged else None)
                for s in plan.sessions]
    return Journey(
        admission=admission, remote=remote, waitlisted=waitlisted,
        backup_code=format_backup_code(ticket.backup_code or "") if admission else "",
        agenda_url=link("schedule.my_agenda", code=ticket.code) if plan.published else None, sessions=sessions,
    )
