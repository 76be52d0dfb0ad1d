"""Plain helpers shared by tests of several areas (functions and a query counter, not fixtures)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event as sa_event

from eventhub.auth.models import EventRole, Role
from eventhub.core.errors import DomainError
from eventhub.extensions import db
from eventhub.registration import services as reg
from eventhub.registration.models import AttendanceMode
from eventhub.schedule import services as sched
from eventhub.schedule.models import AgendaSession


def field_errors(html: str, field: str) -> list[str]:
    """The messages in the `ul.errors` the form macro puts next to `field` (empty when none)."""
    match = re.search(rf'<ul class="errors" id="{re.escape(field)}-err">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1), re.S) if match else []


def event_organizer(event):
    grant = db.session.scalar(db.select(EventRole).where(EventRole.event_id == event.id,
                                                         EventRole.role == Role.ORGANIZER))
    return grant.user


def round_table_sessions(event, *, panelist_ids=(), moderator_ids=()) -> tuple[AgendaSession, AgendaSession]:
    """The round table's two panels, published: session 1 (the event's first hour, with these panelists and
    moderators) and session 2 (two hours later)."""
    session = sched.create_session(event, sched.SessionData(
        title="Session 1 — État des lieux", starts_at=event.starts_at, ends_at=event.starts_at + timedelta(hours=1),
        kind="panel", panelists=[(pid, None) for pid in panelist_ids], moderator_ids=list(moderator_ids)))
    other = sched.create_session(event, sched.SessionData(
        title="Session 2 — Opportunités", starts_at=event.starts_at + timedelta(hours=2),
        ends_at=event.starts_at + timedelta(hours=3), kind="panel"))
    sched.publish_schedule(event)
    return session, other


def ticket_holders(event, mode: AttendanceMode) -> list[str]:
    """Aminata Traoré (Mali) and Karim Benali (Algeria) registered for `event`: their ticket codes."""
    tickets = []
    for n, (name, email) in enumerate((("Aminata Traoré", "aminata@example.org"),
                                       ("Karim Benali", "karim@example.dz"))):
        result = reg.register(event, reg.RegistrationData(name=name, email=email, country="ML" if n == 0 else "DZ",
                                                          mode=mode, consent=True))
        tickets.append(result.registration.ticket.code)
    return tickets


class QueryCounter:
    """`with QueryCounter() as counter:` the statements this thread sends to the database (`counter.statements`,
    `counter.n`); background tasks (the check-in counters' broadcast, the dashboard's push) run theirs elsewhere."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.thread = threading.get_ident()

    @property
    def n(self) -> int:
        return len(self.statements)

    def __call__(self, _conn, _cursor, statement: str, *args) -> None:  # noqa: ANN001, ANN002
        if threading.get_ident() == self.thread:
            self.statements.append(statement)

    def __enter__(self) -> QueryCounter:
        sa_event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        sa_event.remove(db.engine, "before_cursor_execute", self)


def domain_error_code(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """The code of the DomainError `fn(*args, **kwargs)` must raise; the session is rolled back after it, as the
    request pipeline does."""
    with pytest.raises(DomainError) as excinfo:
        fn(*args, **kwargs)
    db.session.rollback()
    return excinfo.value.code
