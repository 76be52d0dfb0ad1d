"""Creating, editing, publishing and cancelling events."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields, replace
from datetime import datetime

from flask_babel import lazy_gettext as _l

from eventhub.auth.models import EventRole, Role, User
from eventhub.auth.services import grant_role
from eventhub.core.errors import Conflict, NotFound, ValidationFailed, strip_control
from eventhub.core.i18n import default_zone
from eventhub.core.timefmt import is_valid_zone
from eventhub.core.types import utcnow
from eventhub.events.models import DESCRIPTION_MAX, EVENT_DEFAULT_LOCALES, PLACE_MAX, TITLE_MAX, Event, EventStatus
from eventhub.events.models import EVENT_LANGUAGES as EVENT_LANGUAGES  # re-exported for callers of services
from eventhub.extensions import db
from eventhub.registration.services import fill_from_waitlist
from eventhub.tickets.codes import generate_signing_key


@dataclass
class EventData:
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str | None = None  # None: the configured default zone (DEFAULT_TIMEZONE)
    description: str = ""
    venue: str = ""
    room: str = ""
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    capacity: int = 100
    remote_enabled: bool = True
    remote_capacity: int | None = None
    languages: tuple[str, ...] = ("fr",)
    default_locale: str | None = None


def slugify(text: str) -> str:
    spaced = re.sub(r"[\W_]+", " ", text)  # dashes and punctuation separate words before accents are folded
    ascii_text = unicodedata.normalize("NFKD", spaced).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60] or "event"


def _unique_slug(title: str) -> str:
    base = slugify(title)
    slug, n = base, 1
    while db.session.scalar(db.select(Event.id).where(Event.slug == slug)):
        n += 1
        slug = f"{base}-{n}"
    return slug


def _zoned(data: EventData) -> EventData:
    return data if data.timezone is not None else replace(data, timezone=default_zone())


def validate_event_data(data: EventData, event: Event | None = None) -> None:
    errors: dict[str, list[str]] = {}

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(str(message))

    if not strip_control(data.title).strip():
        err("title", _l("A title is required."))
    elif len(data.title) > TITLE_MAX:
        err("title", _l("At most %(n)d characters.", n=TITLE_MAX))
    for name, limit in (("venue", PLACE_MAX), ("room", PLACE_MAX), ("description", DESCRIPTION_MAX)):
        if len(getattr(data, name)) > limit:
            err(name, _l("At most %(n)d characters.", n=limit))
    if not is_valid_zone(data.timezone or ""):
        err("timezone", _l("Unknown time zone."))
    for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        value = getattr(data, name)
        if value is not None and value.tzinfo is None:
            err(name, _l("A time zone offset is required."))
    if not errors.get("starts_at") and not errors.get("ends_at") and data.ends_at <= data.starts_at:
        err("ends_at", _l("The end must be after the start."))
    if (data.registration_opens_at and data.registration_closes_at and not errors
            and data.registration_closes_at <= data.registration_opens_at):
            err("registration_closes_at", _l("Registration must close after it opens."))
    if (data.registration_closes_at and not errors.get("registration_closes_at") and not errors.get("ends_at")
            and data.registration_closes_at > data.ends_at):
            err("registration_closes_at", _l("Registration cannot close after the event ends."))
    if data.capacity < 0 or data.capacity > 1_000_000:
        err("capacity", _l("Enter a number between 0 and 1,000,000."))
    if data.remote_capacity is not None and not 0 <= data.remote_capacity <= 1_000_000:
        err("remote_capacity", _l("Enter a number between 0 and 1,000,000."))
    if event is not None:
        if data.capacity < event.confirmed_in_person:
            err("capacity", _l("%(n)d people are already confirmed in the room; cancel some first.",
                               n=event.confirmed_in_person))
        if data.remote_capacity is not None and data.remote_capacity < event.confirmed_remote:
            err("remote_capacity", _l("%(n)d people are already confirmed remotely.", n=event.confirmed_remote))
        if not data.remote_enabled and event.confirmed_remote:
            err("remote_enabled", _l("Remote attendees are already registered."))
    if not data.languages or any(code not in EVENT_LANGUAGES for code in data.languages):
        err("languages", _l("Choose among the supported languages."))
    if data.default_locale is not None and data.default_locale not in EVENT_DEFAULT_LOCALES:
        err("default_locale", _l("Choose among the supported languages."))
    if errors:
        raise ValidationFailed("invalid_event", _l("Please correct the errors below."), fields=errors)


def create_event(data: EventData, *, by: User) -> Event:
    data = _zoned(data)
    validate_event_data(data)
    event = Event(slug=_unique_slug(data.title), signing_key=generate_signing_key(), status=EventStatus.DRAFT)
    _apply(event, data)
    db.session.add(event)
    db.session.flush()
    grant_role(event, by, Role.ORGANIZER)
    return event


def update_event(event: Event, data: EventData) -> Event:
    if event.is_cancelled:
        raise Conflict("event_cancelled", _l("This event is cancelled."))
    data = _zoned(data)
    validate_event_data(data, event)
    seats_added = data.capacity > event.capacity
    remote_added = (data.remote_capacity is None) != (event.remote_capacity is None) or (
        data.remote_capacity or 0
    ) > (event.remote_capacity or 0)
    _apply(event, data)
    db.session.flush()
    if seats_added or remote_added:
        fill_from_waitlist(event)
    return event


def event_data_of(event: Event) -> EventData:
    values = {f.name: getattr(event, f.name) for f in fields(EventData) if f.name != "languages"}
    return EventData(**values, languages=tuple(event.language_list))


def _apply(event: Event, data: EventData) -> None:
    for f in fields(EventData):
        value = getattr(data, f.name)
        if f.name == "languages":
            value = ",".join(value)
        elif isinstance(value, str):
            value = strip_control(value).strip()
        setattr(event, f.name, value)


def publish_event(event: Event) -> None:
    if event.is_cancelled:
        raise Conflict("event_cancelled", _l("This event is cancelled."))
    event.status = EventStatus.PUBLISHED


def cancel_event(event: Event) -> None:
    event.status = EventStatus.CANCELLED


def get_event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound("event_not_found", _l("No such event."))
    return event


def get_public_event(slug: str) -> Event:
    if len(slug) > 80 or strip_control(slug) != slug:  # PostgreSQL refuses NUL in a query parameter
        raise NotFound("event_not_found", _l("No such event."))
    event = db.session.scalar(db.select(Event).where(Event.slug == slug))
    if event is None or event.status == EventStatus.DRAFT:
        raise NotFound("event_not_found", _l("No such event."))
    return event


def upcoming_public_events(now: datetime | None = None) -> list[Event]:
    now = now or utcnow()
    return list(db.session.scalars(
        db.select(Event).where(Event.status == EventStatus.PUBLISHED, Event.ends_at > now).order_by(Event.starts_at)
    ))


def events_for(user: User) -> list[Event]:
    query = db.select(Event).order_by(Event.starts_at.desc())
    if not user.is_admin:
        query = query.where(Event.id.in_(db.select(EventRole.event_id).where(EventRole.user_id == user.id)))
    return list(db.session.scalars(query))
