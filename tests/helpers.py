"""Plain helpers shared by tests of several areas (functions and a query counter, not fixtures)."""

from __future__ import annotations

import re
import threading

from sqlalchemy import event as sa_event

from eventhub.auth.models import EventRole, Role
from eventhub.extensions import db


def field_errors(html: str, field: str) -> list[str]:
    """The messages in the `ul.errors` the form macro puts next to `field` (empty when none)."""
    match = re.search(rf'<ul class="errors" id="{re.escape(field)}-err">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1), re.S) if match else []


def event_organizer(event):
    grant = db.session.scalar(db.select(EventRole).where(EventRole.event_id == event.id,
                                                         EventRole.role == Role.ORGANIZER))
    return grant.user


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
