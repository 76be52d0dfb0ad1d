"""Tickets: issuing, finding (by signed code or backup code) and revoking them."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

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


@lru_cache(maxsize=256)
def _public_key(private_key: bytes) -> bytes:
    return codes.public_key_bytes(private_key)


@lru_cache(maxsize=16384)
def _verified(signed_part: bytes, signature: bytes, public_key: bytes) -> bool:
    try:
        codes.verify(codes.TicketPayload(signed_part[0], int.from_bytes(signed_part[1:4], "big"),
                                         signed_part[4:], signature), public_key)
    except codes.TicketCodeError:
        return False
    return True


def _signed_by(signed_part: bytes, signature: bytes, private_key: bytes) -> bool:
    """Whether the event's key signed this code. Door staff scan the same tickets again and again (re-entries,
    several scanners racing): a verification (and deriving the public key) is done once per code and key; the
    cache is keyed by the exact bytes, so a forged or altered code is verified afresh."""
    return _verified(signed_part, signature, _public_key(private_key))


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
    if not _signed_by(payload.signed_part, payload.signature, bytes(event.signing_key)):
        raise TicketLookupError("forged", _l("This is not a valid ticket."))
    # The registration comes in the same query: every caller (the door above all) reads it next.
    ticket = db.session.scalar(db.select(Ticket).options(joinedload(Ticket.registration))
                               .where(Ticket.secret == payload.secret, Ticket.event_id == event.id))
    if ticket is None:
        raise TicketLookupError("unknown", _l("This is not a valid ticket."))
    return ticket
