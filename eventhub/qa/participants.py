"""Who takes part: a ticket holder, a signed-in user, or an anonymous participant remembered by their browser."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from eventhub.auth.models import User
from eventhub.registration import services as reg_services
from eventhub.registration.models import RegistrationStatus

ANONYMOUS_KINDS = ("anonymous",)


@dataclass(frozen=True)
class Participant:
    """`key` is the canonical identity used for votes and authorship: "r:<registration>", "u:<user>", "a:<random>"."""

    key: str
    kind: str  # "ticket" | "user" | "anonymous"
    name: str = ""
    registration_id: int | None = None
    user_id: int | None = None
    event_id: int | None = None  # ticket holders: the only event whose sessions they may join
    session_id: int | None = None  # anonymous keys: the only session they were issued for
    ticket_id: int | None = None  # ticket holders: the ticket they connected with (revoked → cut off)


# Why a ticket cannot open the Q&A (the socket refuses with it, so a browser can forget a stale ticket).
INVALID_TICKET, TICKET_REVOKED, REGISTRATION_CANCELLED = "invalid_ticket", "ticket_revoked", "registration_cancelled"
STALE_TICKET_CODES = (INVALID_TICKET, TICKET_REVOKED, REGISTRATION_CANCELLED)


def check_ticket(code: object) -> tuple[Participant | None, str]:
    """(the holder of a live — confirmed or waitlisted, not revoked — ticket, "") or (None, why not)."""
    if not isinstance(code, str) or not code or len(code) > 300:
        return None, INVALID_TICKET
    try:
        ticket = reg_services.find_ticket(code)
    except reg_services.TicketLookupError:
        return None, INVALID_TICKET
    registration = ticket.registration
    if registration.status not in (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED):
        return None, REGISTRATION_CANCELLED
    if ticket.revoked_at is not None:
        return None, TICKET_REVOKED
    return Participant(key=f"r:{registration.id}", kind="ticket", name=registration.name,
                       registration_id=registration.id, event_id=registration.event_id,
                       ticket_id=ticket.id), ""


def from_ticket(code: str) -> Participant | None:
    """A live (confirmed or waitlisted, not revoked) ticket's holder, else None."""
    return check_ticket(code)[0]


def from_user(user: User) -> Participant:
    return Participant(key=f"u:{user.id}", kind="user", name=user.name, user_id=user.id)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="qa-participant")


def issue_anonymous_key(session_id: int) -> str:
    return _serializer().dumps({"s": session_id, "k": secrets.token_urlsafe(12)})


def from_anonymous_key(token: str) -> Participant | None:
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int) or not isinstance(data.get("k"), str):
        return None
    return Participant(key=f"a:{data['k']}", kind="anonymous", session_id=data["s"])
