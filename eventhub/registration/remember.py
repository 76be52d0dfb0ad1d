"""The browser remembers a ticket it opened: a signed cookie per event holding the ticket id and a hash of its code.

The cookie is only a pointer: every use re-reads the ticket and checks the hash against the ticket's current code,
that it is not revoked and that the registration is live, so cancelling, revoking or re-issuing the ticket ends it.
A forged or tampered cookie fails the signature. Route helpers (they read and set cookies, never the database
directly); the checks themselves are `recall`'s and take the cookie value as an argument.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from eventhub.core.ids import valid_id
from eventhub.extensions import db
from eventhub.registration.models import Registration, RegistrationStatus, Ticket

MAX_AGE = 60 * 24 * 3600  # two months: the event and its follow-up
SALT = "remembered-ticket"


def cookie_name(event_id: int) -> str:
    return f"eventhub_ticket_{event_id}"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Recalled:
    """`state`: "none" (no cookie), "forged" (bad signature or shape), "revoked" (ticket no longer valid), "ok"."""

    state: str
    ticket: Ticket | None = None


def remember(response: Response, ticket: Ticket, *, secure: bool) -> None:
    value = _serializer().dumps({"t": ticket.id, "h": _code_hash(ticket.code)})
    response.set_cookie(cookie_name(ticket.event_id), value, max_age=MAX_AGE, httponly=True, samesite="Lax",
                        secure=secure, path="/")


def forget(response: Response, event_id: int) -> None:
    response.delete_cookie(cookie_name(event_id), path="/")


def recall(value: str | None, event_id: int) -> Recalled:
    if not value:
        return Recalled("none")
    if len(value) > 300:
        return Recalled("forged")
    try:
        data = _serializer().loads(value)
    except BadSignature:
        return Recalled("forged")
    if not isinstance(data, dict) or not isinstance(data.get("t"), int) or not isinstance(data.get("h"), str) \
            or not valid_id(data["t"]):
        return Recalled("forged")
    ticket = db.session.get(Ticket, data["t"])
    if ticket is None or ticket.event_id != event_id:
        return Recalled("revoked")
    registration: Registration = ticket.registration
    if ticket.revoked_at is not None or _code_hash(ticket.code) != data["h"] \
            or registration.status == RegistrationStatus.CANCELLED:
        return Recalled("revoked")
    return Recalled("ok", ticket)
