"""Registration rules: capacity, waitlist, duplicates, tickets and the mail that goes with them.

Seats are counted on the event row and claimed with one conditional UPDATE
(`SET confirmed = confirmed + 1 WHERE confirmed < capacity`). PostgreSQL re-checks the condition on the
locked row when two transactions race, and SQLite serialises writers, so no read-then-write window exists on
either backend; a CHECK constraint on the row refuses an overbooking even if this code were wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from eventhub import signals
from eventhub.core.errors import Conflict, DomainError, NotFound, ValidationFailed, strip_control
from eventhub.core.search import fold, like_pattern
from eventhub.core.types import utcnow
from eventhub.events.models import Event, EventStatus
from eventhub.extensions import db
from eventhub.registration.countries import is_country
from eventhub.registration.mail import render_registration_mail
from eventhub.registration.models import AttendanceMode, Registration, RegistrationStatus, Ticket
from eventhub.tickets import codes, qr

NAME_MAX = 200
MAX_OFFSET = 10**9
TEXT_MAX = 200


@dataclass
class RegistrationData:
    name: str
    email: str
    country: str
    mode: AttendanceMode | str
    organization: str = ""
    job_title: str = ""
    consent: bool = False
    locale: str = "fr"
    organization_type: str = ""  # one of ORG_TYPES, or ""
    listed: bool = True  # False: not named in the final report's list of participants (counted only)


# Kinds of organization, for the final report's attendance by organization type.
ORG_TYPES = ("government", "operator", "startup", "company", "academic", "association", "international", "press",
             "other")


@dataclass
class RegistrationResult:
    registration: Registration
    waitlist_position: int | None


def _clean(text: object) -> str:
    return " ".join(strip_control(str(text or "")).split())  # one line, no control characters


def validate_registration_data(data: RegistrationData, *, require_consent: bool) -> RegistrationData:
    """Normalised copy of `data`, or ValidationFailed with per-field messages."""
    errors: dict[str, list[str]] = {}

    def err(field: str, message: object) -> None:
        errors.setdefault(field, []).append(str(message))

    name = _clean(data.name)
    if not name:
        err("name", _l("Your name is required."))
    elif len(name) > NAME_MAX:
        err("name", _l("At most %(n)d characters.", n=NAME_MAX))
    email = strip_control(str(data.email or "")).strip()
    try:
        email = validate_email(email, check_deliverability=False).normalized if len(email) <= 254 else ""
        if not email:
            raise EmailNotValidError("too long")
    except EmailNotValidError:
        err("email", _l("Enter a valid email address."))
    organization, job_title = _clean(data.organization), _clean(data.job_title)
    for field, value in (("organization", organization), ("job_title", job_title)):
        if len(value) > TEXT_MAX:
            err(field, _l("At most %(n)d characters.", n=TEXT_MAX))
    country = str(data.country or "").strip().upper()
    if not is_country(country):
        err("country", _l("Choose a country from the list."))
    try:
        mode = AttendanceMode(data.mode)
    except ValueError:
        mode = AttendanceMode.IN_PERSON
        err("mode", _l("Choose in the room or remote."))
    organization_type = str(data.organization_type or "").strip()
    if organization_type not in ("", *ORG_TYPES):
        err("organization_type", _l("Choose a kind of organization from the list."))
    if require_consent and data.consent is not True:
        err("consent", _l("Please accept the privacy notice to register."))
    if errors:
        raise ValidationFailed("invalid_registration", _l("Please correct the errors below."), fields=errors)
    return RegistrationData(
        name=name, email=email, country=country, mode=mode, organization=organization, job_title=job_title,
        consent=bool(data.consent), locale=data.locale if data.locale in current_app.config["LANGUAGES"] else "fr",
        organization_type=organization_type, listed=data.listed is not False,
    )


def check_registration_open(event: Event, mode: AttendanceMode, now: datetime) -> None:
    if event.status == EventStatus.CANCELLED:
        raise Conflict("event_cancelled", _l("This event has been cancelled."))
    if event.status != EventStatus.PUBLISHED:
        raise NotFound("event_not_found", _l("No such event."))
    if event.registration_opens_at and now < event.registration_opens_at:
        raise Conflict("registration_not_open", _l("Registration has not opened yet."))
    if now >= (event.registration_closes_at or event.ends_at):
        raise Conflict("registration_closed", _l("Registration is closed."))
    if mode == AttendanceMode.REMOTE and not event.remote_enabled:
        raise ValidationFailed(
            "remote_not_offered", _l("This event does not offer remote attendance."),
            fields={"mode": [str(_l("This event does not offer remote attendance."))]},
        )


def find_live_registration(event: Event, email: str) -> Registration | None:
    return db.session.scalar(
        db.select(Registration).where(
            Registration.event_id == event.id,
            Registration.email_normalized == email.strip().lower(),
            Registration.status != RegistrationStatus.CANCELLED,
        )
    )


def register(
    event: Event, data: RegistrationData, *, now: datetime | None = None, source: str = "web",
    require_consent: bool = True,
) -> RegistrationResult:
    """Register one person. Raises `already_registered` (409) for a second registration with the same email."""
    now = now or utcnow()
    clean = validate_registration_data(data, require_consent=require_consent)
    mode = AttendanceMode(clean.mode)
    check_registration_open(event, mode, now)
    if find_live_registration(event, clean.email):
        raise _already_registered()
    registration = Registration(
        event_id=event.id, name=clean.name, email=clean.email, email_normalized=clean.email.lower(),
        organization=clean.organization, country=clean.country, job_title=clean.job_title, mode=mode,
        status=RegistrationStatus.WAITLISTED, locale=clean.locale, source=source, created_at=now,
        consent_at=now if clean.consent else None, organization_type=clean.organization_type, listed=clean.listed,
    )
    refresh_search_text(registration)
    try:
        with db.session.begin_nested():
            db.session.add(registration)
            db.session.flush()
    except IntegrityError:
        # Another request registered the same email between our check and our insert.
        raise _already_registered() from None
    ticket = issue_ticket(registration)
    # The seat claim locks the event's row until the commit, and every registration for the event queues on it:
    # the costly work (the QR code, ~8 ms of CPU) is done before, so the lock covers only what must follow.
    qr.prepare(ticket.code)
    if claim_seat(event, mode):
        registration.status, registration.confirmed_at = RegistrationStatus.CONFIRMED, now
    position = waitlist_position(registration)
    _queue_registration_mail(registration, "confirmation" if position is None else "waitlisted")
    return RegistrationResult(registration, position)


def refresh_search_text(registration: Registration) -> None:
    """Keep the folded search column in step with the name, email and organization (call after changing them)."""
    registration.search_text = fold(
        f"{registration.name} {registration.email_normalized} {registration.organization}")[:700]


def _already_registered() -> Conflict:
    return Conflict(
        "already_registered",
        _l("This email address is already registered for this event. We can send the ticket to it again."),
        fields={"email": [str(_l("Already registered for this event."))]},
    )


def _seat_columns(mode: AttendanceMode):  # noqa: ANN202
    if mode == AttendanceMode.IN_PERSON:
        return Event.confirmed_in_person, Event.capacity
    return Event.confirmed_remote, Event.remote_capacity


def claim_seat(event: Event, mode: AttendanceMode) -> bool:
    counter, cap = _seat_columns(mode)
    condition = counter < cap if mode == AttendanceMode.IN_PERSON else or_(cap.is_(None), counter < cap)
    result = db.session.execute(
        update(Event).where(Event.id == event.id, condition).values({counter: counter + 1})
        .execution_options(synchronize_session=False)
    )
    db.session.expire(event, ["confirmed_in_person", "confirmed_remote"])
    return result.rowcount == 1  # type: ignore[attr-defined]  # an UPDATE's CursorResult


def release_seat(event: Event, mode: AttendanceMode) -> None:
    counter, _cap = _seat_columns(mode)
    db.session.execute(
        update(Event).where(Event.id == event.id, counter > 0).values({counter: counter - 1})
        .execution_options(synchronize_session=False)
    )
    db.session.expire(event, ["confirmed_in_person", "confirmed_remote"])


def waitlist_position(registration: Registration) -> int | None:
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = db.session.scalar(
        db.select(db.func.count()).select_from(Registration).where(
            Registration.event_id == registration.event_id, Registration.mode == registration.mode,
            Registration.status == RegistrationStatus.WAITLISTED, Registration.id < registration.id,
        )
    )
    return int(ahead or 0) + 1


def waiting_count(event: Event, mode: AttendanceMode) -> int:
    """How many people wait for a seat of `mode` (what a cancelled seat goes to)."""
    return int(db.session.scalar(db.select(db.func.count()).select_from(Registration).where(
        Registration.event_id == event.id, Registration.mode == mode,
        Registration.status == RegistrationStatus.WAITLISTED)) or 0)


def cancel_registration(registration: Registration, *, now: datetime | None = None) -> list[Registration]:
    """Cancel, free the seat, and promote from the waitlist. Returns who was promoted."""
    if registration.status == RegistrationStatus.CANCELLED:
        raise Conflict("already_cancelled", _l("This registration is already cancelled."))
    now = now or utcnow()
    was_confirmed = registration.status == RegistrationStatus.CONFIRMED
    registration.status, registration.cancelled_at = RegistrationStatus.CANCELLED, now
    for ticket in registration.tickets:
        if ticket.revoked_at is None:
            ticket.revoked_at, ticket.revoked_reason = now, "cancelled"
            signals.ticket_revoked.send(ticket, reason="cancelled")
    db.session.flush()
    signals.registration_cancelled.send(registration.event, registration=registration)
    _queue_registration_mail(registration, "cancelled")  # in their language, whoever cancels
    if not was_confirmed:
        return []
    release_seat(registration.event, registration.mode)
    return fill_from_waitlist(registration.event, now=now)


def fill_from_waitlist(event: Event, *, now: datetime | None = None) -> list[Registration]:
    """Promote waitlisted people, oldest first, while seats remain; each is emailed."""
    if event.is_cancelled:
        return []
    now = now or utcnow()
    promoted: list[Registration] = []
    for mode in AttendanceMode:
        while True:
            nxt = db.session.scalars(
                db.select(Registration).where(
                    Registration.event_id == event.id, Registration.mode == mode,
                    Registration.status == RegistrationStatus.WAITLISTED,
                ).order_by(Registration.id).limit(1).with_for_update(skip_locked=True)
            ).first()
            if nxt is None or not claim_seat(event, mode):
                break
            nxt.status, nxt.confirmed_at = RegistrationStatus.CONFIRMED, now
            db.session.flush()
            _queue_registration_mail(nxt, "promoted")
            promoted.append(nxt)
    return promoted


# --- tickets --------------------------------------------------------------------------------------------------

def issue_ticket(registration: Registration) -> Ticket:
    event = registration.event
    secret = codes.new_secret()
    ticket = Ticket(
        registration_id=registration.id, event_id=event.id, secret=secret,
        code=codes.encode(event.id, secret, event.signing_key), backup_code=_unused_backup_code(),
    )
    registration.tickets.append(ticket)
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


def reissue_ticket(registration: Registration) -> Ticket:
    """A new code (the old one stops working at the door) sent to the attendee."""
    if registration.status == RegistrationStatus.CANCELLED:
        raise Conflict("already_cancelled", _l("This registration is cancelled."))
    if registration.ticket is not None:
        revoke_ticket(registration, reason="reissued")
    ticket = issue_ticket(registration)
    _queue_registration_mail(registration, "ticket")
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


def resend_ticket(event: Event, email: str) -> bool:
    """Send the ticket again to a registered address. False (and no mail) when nobody is registered."""
    registration = find_live_registration(event, email)
    if registration is None:
        return False
    _queue_registration_mail(registration, "ticket")
    return True


# --- organizer ------------------------------------------------------------------------------------------------

@dataclass
class RegistrationFilter:
    q: str = ""
    mode: str = ""
    status: str = ""
    country: str = ""


def search_registrations(event: Event, flt: RegistrationFilter, *, limit: int | None = None, offset: int = 0):
    query = db.select(Registration).where(Registration.event_id == event.id)
    q = fold(strip_control(flt.q))[:100]
    if q:
        # One indexed column, folded like the query: "traore" finds Traoré, "keita" finds Keïta, on both backends.
        query = query.where(Registration.search_text.like(like_pattern(q), escape="\\"))
    if flt.mode in {m.value for m in AttendanceMode}:
        query = query.where(Registration.mode == AttendanceMode(flt.mode))
    if flt.status in {s.value for s in RegistrationStatus}:
        query = query.where(Registration.status == RegistrationStatus(flt.status))
    if flt.country and len(flt.country) == 2 and flt.country.isalpha():
        query = query.where(Registration.country == flt.country.upper())
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery()))
    # Tickets loaded in one extra query: the list shows each row's ticket state.
    offset = min(max(offset, 0), MAX_OFFSET)  # PostgreSQL's OFFSET is a bigint: a huge page is a 500 otherwise
    query = query.options(selectinload(Registration.tickets)).order_by(Registration.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query)), int(total or 0)


def waitlist_positions(event: Event) -> dict[int, int]:
    """Every waitlisted registration's position, in one query (for lists; see waitlist_position for one)."""
    rows = db.session.execute(
        db.select(Registration.id, Registration.mode)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.id)
    ).all()
    seen: dict[AttendanceMode, int] = {}
    positions: dict[int, int] = {}
    for registration_id, mode in rows:
        seen[mode] = seen.get(mode, 0) + 1
        positions[registration_id] = seen[mode]
    return positions


def counts(event: Event) -> dict[str, int]:
    rows = db.session.execute(
        db.select(Registration.status, Registration.mode, db.func.count())
        .where(Registration.event_id == event.id).group_by(Registration.status, Registration.mode)
    ).all()
    out = {f"{s.value}_{m.value}": 0 for s in RegistrationStatus for m in AttendanceMode}
    for status, mode, n in rows:
        out[f"{status.value}_{mode.value}"] = n
    return out


def get_registration(event: Event, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise NotFound("registration_not_found", _l("No such registration."))
    return registration


# --- mail -----------------------------------------------------------------------------------------------------

def _queue_registration_mail(registration: Registration, kind: str) -> None:
    """In the language the person registered in, whatever the language of whoever acts (an organizer's
    cancellation, a promotion triggered by someone else's)."""
    with force_locale(registration.locale):
        render_registration_mail(registration, kind, position=waitlist_position(registration))

