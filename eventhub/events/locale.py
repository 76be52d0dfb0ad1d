"""Which event a page belongs to, for its default language (eventhub.core.i18n asks through EVENT_LOCALE)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eventhub.core.errors import strip_control
from eventhub.core.ids import valid_id
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.registration.models import Ticket
from eventhub.schedule.models import AgendaSession

MAX_KEY = 200  # slugs and ticket codes are far shorter


def _usable(value: object) -> bool:
    """A URL part worth a query: PostgreSQL refuses NUL in a parameter, and junk cannot match anyway."""
    if isinstance(value, str):
        return 0 < len(value) <= MAX_KEY and strip_control(value) == value
    return valid_id(value)


def event_default_locale(view_args: Mapping[str, Any]) -> str | None:
    """The default locale of the event behind a public page: `/e/<slug>…`, a ticket's pages `/t/<code>…`, or a
    session's live pages `/qa/<session_id>…`, `/stage/<session_id>…` (one indexed query; None if unknown)."""
    query = db.select(Event.default_locale)
    if not all(_usable(view_args[k]) for k in ("slug", "code", "session_id") if k in view_args):
        return None
    if isinstance(slug := view_args.get("slug"), str):
        query = query.where(Event.slug == slug)
    elif isinstance(code := view_args.get("code"), str):
        query = query.join(Ticket, Ticket.event_id == Event.id).where(Ticket.code == code)
    elif isinstance(session_id := view_args.get("session_id"), int):
        query = query.join(AgendaSession, AgendaSession.event_id == Event.id).where(AgendaSession.id == session_id)
    else:
        return None
    return db.session.scalar(query.limit(1))
