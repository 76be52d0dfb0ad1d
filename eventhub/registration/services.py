"""Registration rules: validation, duplicates, registering and cancelling, and the mail that goes with them.

Seats and the waiting list are in `seats` (one locked statement hands out a seat or a place in line), tickets in
`tickets`; both are re-exported here for the callers of this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from eventhub import signals
from eventhub.core.errors import Conflict, NotFound, ValidationFailed, strip_control
from eventhub.core.search import fold, like_pattern
from eventhub.core.text import EMAIL_MAX, normalise_email
from eventhub.core.text import one_line as _clean
from eventhub.core.types import utcnow
from eventhub.events.models import Event, EventStatus
from eventhub.extensions import db
from eventhub.registration.countries import is_country
from eventhub.registration.journey import Schedule, schedule_of
from eventhub.registration.mail import (
    POSITION_MARK,
    RegistrationMail,
    compose_registration_mail,
    render_registration_mail,
)
from eventhub.registration.models import NAME_MAX as NAME_MAX  # re-exported: callers use services.*
from eventhub.registration.models import TEXT_MAX as TEXT_MAX
from eventhub.registration.models import AttendanceMode, Registration, RegistrationStatus, Ticket
from eventhub.registration.seats import claim_seat as claim_seat
from eventhub.registration.seats import leave_waitlist, line_order, settle
from eventhub.registration.seats import release_seat as release_seat
from eventhub.registration.seats import waiting_count as waiting_count
from eventhub.registration.seats import waitlist_position as waitlist_position
from eventhub.registration.seats import waitlist_positions as waitlist_positions
from eventhub.registration.tickets import TicketLookupError as TicketLookupError
from eventhub.registration.tickets import find_ticket as find_ticket
from eventhub.registration.tickets import find_ticket_by_backup_code as find_ticket_by_backup_code
from eventhub.registration.tickets import issue_ticket as issue_ticket
from eventhub.registration.tickets import revoke_ticket as revoke_ticket
from eventhub.tickets import qr

MAX_OFFSET = 10**9


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
        email = validate_email(email, check_deliverability=False).normalized if len(email) <= EMAIL_MAX else ""
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
            Registration.email_normalized == normalise_email(email),
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
    registration = Registration(
        event_id=event.id, name=clean.name, email=clean.email, email_normalized=normalise_email(clean.email),
        organization=clean.organization, country=clean.country, job_title=clean.job_title, mode=mode,
        status=RegistrationStatus.WAITLISTED, confirmed_at=None, locale=clean.locale, source=source, created_at=now,
        consent_at=now if clean.consent else None, organization_type=clean.organization_type, listed=clean.listed,
    )
    refresh_search_text(registration)
    try:  # the partial unique index on the live email is the check (one round trip fewer than asking first)
        with db.session.begin_nested():
            db.session.add(registration)
            db.session.flush()
    except IntegrityError:
        raise _already_registered() from None
    set_committed_value(registration, "tickets", [])  # new: nothing to load before the ticket is appended
    ticket = issue_ticket(registration)
    # Everything costly or that reads is done before the seat claim: from it to the commit the event's row is
    # locked and every registration for the event queues on it (seats.py). So the mail is composed and written
    # first, for the outcome the seat count predicts (QR code included, ~6 ms of CPU, only for a ticket likely to
    # admit), with a mark where the position goes; the claim writes the status and the position in the same
    # statement. Only when a race proves the guess wrong, near the last seat, is the mail composed again under
    # the lock.
    seat_likely = _seat_likely(event, mode)
    schedule = schedule_of(event)
    message = _compose(registration, ticket, seat_likely, now, schedule).queue(keep_mark=True)
    db.session.flush()
    place = settle(event, registration, message, str(POSITION_MARK), now)
    if place.seat != seat_likely:
        db.session.delete(message)
        _compose(registration, ticket, place.seat, now, schedule).queue(place.position)
    return RegistrationResult(registration, place.position)


def _compose(registration: Registration, ticket: Ticket, seat: bool, now: datetime,
             schedule: Schedule) -> RegistrationMail:
    """The mail for either outcome, the registration's status set to it only while rendering (no flush)."""
    if seat:
        qr.prepare(ticket.code)
    status, confirmed_at = registration.status, registration.confirmed_at
    with db.session.no_autoflush, force_locale(registration.locale):
        registration.status = RegistrationStatus.CONFIRMED if seat else RegistrationStatus.WAITLISTED
        registration.confirmed_at = now if seat else None
        try:
            return compose_registration_mail(registration, "confirmation" if seat else "waitlisted",
                                             schedule=schedule)
        finally:
            registration.status, registration.confirmed_at = status, confirmed_at


def _seat_likely(event: Event, mode: AttendanceMode) -> bool:
    """A hint read before the claim (which decides): is a seat of `mode` free right now?"""
    if mode == AttendanceMode.IN_PERSON:
        return event.seats_left > 0
    return event.remote_capacity is None or event.confirmed_remote < event.remote_capacity


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


def cancel_registration(registration: Registration, *, now: datetime | None = None) -> list[Registration]:
    """Cancel, free the seat, and promote from the waitlist. Returns who was promoted."""
    if registration.status == RegistrationStatus.CANCELLED:
        raise Conflict("already_cancelled", _l("This registration is already cancelled."))
    now = now or utcnow()
    was = registration.status
    registration.status, registration.cancelled_at = RegistrationStatus.CANCELLED, now
    for ticket in registration.tickets:
        if ticket.revoked_at is None:
            ticket.revoked_at, ticket.revoked_reason = now, "cancelled"
            signals.ticket_revoked.send(ticket, reason="cancelled")
    db.session.flush()
    signals.registration_cancelled.send(registration.event, registration=registration)
    _queue_registration_mail(registration, "cancelled")  # in their language, whoever cancels
    if was == RegistrationStatus.WAITLISTED:
        leave_waitlist(registration.event, registration.mode)
    if was != RegistrationStatus.CONFIRMED:
        return []
    release_seat(registration.event, registration.mode)
    return fill_from_waitlist(registration.event, now=now)


def fill_from_waitlist(event: Event, *, now: datetime | None = None) -> list[Registration]:
    """Promote waitlisted people, oldest first, while seats remain; each is emailed."""
    if event.is_cancelled:
        return []
    now = now or utcnow()
    promoted: list[Registration] = []
    # Read once, before the first seat claim locks the event row: each promotion's mail shows the journey.
    schedule = schedule_of(event)
    for mode in AttendanceMode:
        while True:
            nxt = db.session.scalars(
                db.select(Registration).where(
                    Registration.event_id == event.id, Registration.mode == mode,
                    Registration.status == RegistrationStatus.WAITLISTED,
                ).order_by(*line_order()).limit(1).with_for_update(skip_locked=True)
            ).first()
            if nxt is None or not claim_seat(event, mode):
                break
            nxt.status, nxt.confirmed_at = RegistrationStatus.CONFIRMED, now
            leave_waitlist(event, mode)
            db.session.flush()
            _queue_registration_mail(nxt, "promoted", schedule=schedule)
            promoted.append(nxt)
    return promoted


# --- tickets ---------------------------------------------------------------------------------------------------

def reissue_ticket(registration: Registration) -> Ticket:
    """A new code (the old one stops working at the door) sent to the attendee."""
    if registration.status == RegistrationStatus.CANCELLED:
        raise Conflict("already_cancelled", _l("This registration is cancelled."))
    if registration.ticket is not None:
        revoke_ticket(registration, reason="reissued")
    ticket = issue_ticket(registration)
    _queue_registration_mail(registration, "ticket")
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

def _queue_registration_mail(registration: Registration, kind: str, *, schedule: Schedule | None = None) -> None:
    """Promotion, ticket and cancellation mails (no position: only `register`'s waitlisted mail shows one), in
    the language the person registered in, whoever acts (an organizer's
    cancellation, a promotion triggered by someone else's). `schedule`: read by a caller that sends several."""
    with force_locale(registration.locale):
        render_registration_mail(registration, kind, schedule=schedule)

