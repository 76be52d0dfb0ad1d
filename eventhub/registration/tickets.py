"""Tickets: issuing, finding (by signed code or backup code) and revoking them."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from eventhub import signals
from eventhub.core.errors import Conflict, DomainError
from eventhub.core.types import utcnow
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.registration.models import Registration, Ticket
from eventhub.tickets import codes


def issue_ticket(registration: Registration, *, flush: bool = True) -> Ticket:
    event = registration.event
    secret = codes.new_secret()
    ticket = Ticket(
        registration_id=registration.id, event_id=event.id, secret=secret,
        code=codes.encode(event.id, secret, event.signing_key), backup_code=_unused_backup_code(),
    )
    registration.tickets.append(ticket)
    if flush:
        db.session.flush()
    return ticket


def _unused_backup_code() -> str:
    """A fresh backup code (31^8 ≈ 8.5e11 values: a clash is rare, and the unique constraint is the backstop)."""
    while True:
        code = codes.new_backup_code()
        if db.session.scalar(db.select(Ticket.id).where(Ticket.backup_code == code)) is None:
            return code


def find_ticket_by_backup_code(code: str) -> Ticket | None:
    """The ticket (any event, revoked ones too) whose backup code is `code` once normalised, else None."""
    canonical = codes.normalise_backup_code(code)
    if canonical is None:
        return None
    return db.session.scalar(db.select(Ticket).where(Ticket.backup_code == canonical))


def revoke_ticket(registration: Registration, *, reason: str = "revoked", now: datetime | None = None) -> Ticket:
    ticket = registration.ticket
    if ticket is None:
        raise Conflict("no_ticket", _l("This registration has no ticket in force."))
    ticket.revoked_at, ticket.revoked_reason = now or utcnow(), reason[:200]
    db.session.flush()
    signals.ticket_revoked.send(ticket, reason=ticket.revoked_reason)
    return ticket


class TicketLookupError(DomainError):
    """`code` is one of: unreadable, forged, unknown (signed but not ours), revoked."""

    status = 404


def find_ticket(code: str) -> Ticket:
    """The ticket behind a code, after checking the signature. Revoked tickets are returned too."""
    try:
        payload = codes.parse(code)
    except codes.TicketCodeError as exc:
        raise TicketLookupError(exc.reason, _l("This is not a valid ticket.")) from None
    event = db.session.get(Event, payload.event_id)
    if event is None:
        raise TicketLookupError("forged", _l("This is not a valid ticket."))
    try:
        codes.verify(payload, codes.public_key_bytes(event.signing_key))
    except codes.TicketCodeError as exc:
        raise TicketLookupError(exc.reason, _l("This is not a valid ticket.")) from None
    ticket = db.session.scalar(db.select(Ticket).where(Ticket.secret == payload.secret, Ticket.event_id == event.id))
    if ticket is None:
        raise TicketLookupError("unknown", _l("This is not a valid ticket."))
    return ticket
