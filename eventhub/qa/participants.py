"""Who takes part: a ticket holder, a signed-in user, or an anonymous participant remembered by their browser."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from limits import RateLimitItem, parse

from eventhub.auth.models import User
from eventhub.extensions import db, limiter
from eventhub.registration import services as reg_services
from eventhub.registration.models import RegistrationStatus, Ticket

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


def ticket_problem(participant: Participant) -> str:
    """"" while the ticket a participant connected with is still live, else why not (TICKET_REVOKED,
    REGISTRATION_CANCELLED): an action taken long after the connection was opened re-reads it. Other kinds: ""."""
    if participant.kind != "ticket":
        return ""
    ticket = db.session.get(Ticket, participant.ticket_id) if participant.ticket_id is not None else None
    if ticket is None:
        return TICKET_REVOKED
    if ticket.registration.status not in (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED):
        return REGISTRATION_CANCELLED  # checked first: cancelling also revokes the tickets
    return TICKET_REVOKED if ticket.revoked_at is not None else ""


def from_ticket(code: str) -> Participant | None:
    """A live (confirmed or waitlisted, not revoked) ticket's holder, else None."""
    return check_ticket(code)[0]


def from_user(user: User) -> Participant:
    return Participant(key=f"u:{user.id}", kind="user", name=user.name, user_id=user.id)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="qa-participant")


def issue_anonymous_key(session_id: int) -> str:
    return _serializer().dumps({"s": session_id, "k": secrets.token_urlsafe(12)})


# --- bounding anonymous participation (issue 9 item 5) ----------------------------------------------------------
# Per participant limits mean nothing if keys are free: a script minted 20 keys and posted 100 questions. A device
# keeps its key (a cookie, whatever the page's storage says); an address mints at most QA_ANONYMOUS_KEYS_LIMIT keys
# (a whole venue can share one address behind its NAT: generous by default); moderators see a flag on questions
# from an address that minted QA_BUSY_ADDRESS_KEYS or more.


def device_cookie(session_id: int) -> str:
    return f"eh_qa_p{session_id}"


def source_label(address: str | None) -> str:
    """A stable label for a network address that does not reveal it (moderators compare labels, not addresses)."""
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), (address or "-").encode(), hashlib.sha256)
    return "n-" + digest.hexdigest()[:10]


def _keys_limit() -> RateLimitItem:
    return parse(current_app.config["QA_ANONYMOUS_KEYS_LIMIT"])


def mint_anonymous_key(session_id: int, *, device_key: str | None, address: str | None) -> str | None:
    """The device's key for this session (kept, not re-minted), else a new one if the address may mint one more;
    None when it may not."""
    known = from_anonymous_key(device_key) if device_key else None
    if known is not None and known.session_id == session_id:
        return device_key
    if current_app.config["RATELIMIT_ENABLED"] and \
            not limiter.limiter.hit(_keys_limit(), "qa-anon-keys", source_label(address)):
        return None
    return issue_anonymous_key(session_id)


def keys_minted(address: str | None) -> int:
    """How many anonymous keys this address minted in the current window (across processes)."""
    limit = _keys_limit()
    stats = limiter.limiter.get_window_stats(limit, "qa-anon-keys", source_label(address))
    return limit.amount - stats.remaining


def busy_address(address: str | None) -> bool:
    return keys_minted(address) >= current_app.config["QA_BUSY_ADDRESS_KEYS"]


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
