"""Panelists: their details, personal links (signed, expiring, revocable), invitations, change emails, presence."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import joinedload

from eventhub.auth.models import User
from eventhub.core.errors import Conflict, NotFound, ValidationFailed, strip_control
from eventhub.core.i18n import default_zone
from eventhub.core.text import EMAIL_MAX, normalise_email
from eventhub.core.text import one_line as _clean
from eventhub.core.timefmt import format_in_zone, is_valid_zone, to_zone
from eventhub.core.types import utcnow
from eventhub.core.urls import external_url
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.mail.services import queue_mail
from eventhub.registration.countries import is_country
from eventhub.schedule.models import AgendaSession, Panelist, ParticipationMode, SessionPanelist
from eventhub.schedule.services import get_by_id, sessions_of
from eventhub.signals import session_changed

BIO_MAX = 2000
TEXT_MAX = 200
PHOTO_MAX = 300_000
PHOTO_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


@dataclass
class PanelistData:
    name: str
    email: str = ""
    title: str = ""
    organization: str = ""
    country: str = ""
    bio: str = ""
    mode: ParticipationMode | str = ParticipationMode.ON_STAGE
    timezone: str | None = None  # None: the configured default zone (DEFAULT_TIMEZONE)


def _validate(data: PanelistData) -> PanelistData:
    errors: dict[str, list[str]] = {}

    def err(name: str, message: object) -> None:
        errors.setdefault(name, []).append(str(message))

    name, title, organization = _clean(data.name), _clean(data.title), _clean(data.organization)
    if not name:
        err("name", _l("A name is required."))
    for field_name, value in (("name", name), ("title", title), ("organization", organization)):
        if len(value) > TEXT_MAX:
            err(field_name, _l("At most %(n)d characters.", n=TEXT_MAX))
    email = (data.email or "").strip()
    if email:
        try:
            if len(email) > EMAIL_MAX:
                raise EmailNotValidError("too long")
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            err("email", _l("Enter a valid email address."))
    country = (data.country or "").strip().upper()
    if country and not is_country(country):
        err("country", _l("Choose a country from the list."))
    bio = strip_control(data.bio or "").strip()
    if len(bio) > BIO_MAX:
        err("bio", _l("At most %(n)d characters.", n=BIO_MAX))
    try:
        mode = ParticipationMode(data.mode)
    except ValueError:
        mode = ParticipationMode.ON_STAGE
        err("mode", _l("Choose on stage or remote."))
    zone = (default_zone() if data.timezone is None else data.timezone).strip()
    if not is_valid_zone(zone):
        err("timezone", _l("Unknown time zone."))
    if errors:
        raise ValidationFailed("invalid_panelist", _l("Please correct the errors below."), fields=errors)
    return PanelistData(name=name, email=email, title=title, organization=organization, country=country, bio=bio,
                        mode=mode, timezone=zone)


def _apply(panelist: Panelist, data: PanelistData) -> None:
    for name in ("name", "email", "title", "organization", "country", "bio", "mode", "timezone"):
        setattr(panelist, name, getattr(data, name))
    user = db.session.scalar(db.select(User).where(User.email == normalise_email(data.email))) if data.email else None
    panelist.user_id = user.id if user else None


def create_panelist(event: Event, data: PanelistData) -> Panelist:
    clean = _validate(data)
    panelist = Panelist(event_id=event.id)
    _apply(panelist, clean)
    db.session.add(panelist)
    db.session.flush()
    return panelist


def update_panelist(panelist: Panelist, data: PanelistData) -> Panelist:
    clean = _validate(data)
    _apply(panelist, clean)
    db.session.flush()
    return panelist


def delete_panelist(panelist: Panelist) -> None:
    db.session.delete(panelist)
    db.session.flush()


def set_photo(panelist: Panelist, raw: bytes) -> None:
    """A JPEG, PNG or WebP of at most 300 kB, checked by decoding it (never trusted by its name)."""

    message = _l("Choose a JPEG, PNG or WebP image of at most 300 kB.")
    if not raw or len(raw) > PHOTO_MAX:
        raise ValidationFailed("invalid_photo", message, fields={"photo": [str(message)]})
    try:
        with Image.open(io.BytesIO(raw)) as image:
            image.verify()
            kind = image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        kind = None
    if kind not in PHOTO_TYPES:
        raise ValidationFailed("invalid_photo", message, fields={"photo": [str(message)]})
    panelist.photo, panelist.photo_type = raw, PHOTO_TYPES[kind]


def panelists_of(event: Event) -> list[Panelist]:
    return list(db.session.scalars(db.select(Panelist).where(Panelist.event_id == event.id).order_by(Panelist.name)))


def get_panelist(event: Event, panelist_id: int) -> Panelist:
    panelist = get_by_id(Panelist, panelist_id)
    if panelist is None or panelist.event_id != event.id:
        raise NotFound("panelist_not_found", _l("No such panelist in this event."))
    return panelist


def sessions_for(panelist: Panelist, *, published_only: bool = False) -> list[tuple[AgendaSession, SessionPanelist]]:
    query = (db.select(AgendaSession, SessionPanelist)
             .join(SessionPanelist, SessionPanelist.session_id == AgendaSession.id)
             .where(SessionPanelist.panelist_id == panelist.id).options(joinedload(AgendaSession.room))
             .order_by(AgendaSession.starts_at))
    if published_only:
        query = query.where(AgendaSession.published_at.is_not(None))
    return [(s, sp) for s, sp in db.session.execute(query)]


# --- personal links -------------------------------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="panelist-link")


def make_link_token(panelist: Panelist) -> str:
    return _serializer().dumps({"p": panelist.id, "e": panelist.event_id, "v": panelist.link_version})


def link_url(panelist: Panelist) -> str:
    event = db.session.get_one(Event, panelist.event_id)
    return external_url("schedule.panelist_page", slug=event.slug, token=make_link_token(panelist))


def panelist_from_token(token: str, event: Event | None = None) -> Panelist | None:
    """The panelist a link opens, or None when it is expired, revoked, tampered with or for another event."""
    if not token or len(token) > 500:
        return None
    max_age = current_app.config["PANELIST_LINK_MAX_AGE"]
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in ("p", "e", "v")):
        return None
    if event is not None and data["e"] != event.id:
        return None
    panelist = db.session.get(Panelist, data["p"])
    if panelist is None or panelist.event_id != data["e"] or panelist.link_version != data["v"]:
        return None
    return panelist


def revoke_links(panelist: Panelist) -> None:
    panelist.link_version += 1
    db.session.flush()


def _mail_locale(event: Event) -> str:
    """Panelists register nowhere: the event's default language, else the first it is held in."""
    languages = current_app.config["LANGUAGES"]
    default = (event.default_locale or "").split("_")[0]
    if default in languages:
        return default
    return next((code for code in event.language_list if code in languages), "fr")


def invite(panelist: Panelist, *, now: datetime | None = None) -> None:
    """Sends (or sends again) the personal link; earlier links keep working until revoked."""
    if not panelist.email:
        raise Conflict("no_email", _l("Add an email address for this panelist first."))
    event = db.session.get_one(Event, panelist.event_id)
    with force_locale(_mail_locale(event)):
        context = {"panelist": panelist, "event": event, "link": link_url(panelist),
                   "sessions": [(s, sp, format_in_zone(s.starts_at, panelist.timezone))
                                for s, sp in sessions_for(panelist) if not s.is_cancelled]}
        queue_mail(kind="panelist_invitation", to=panelist.email, event_id=event.id,
                   subject=_("Your speaker page: %(title)s", title=event.title),
                   text=render_template("mail/panelist_invitation.txt", **context))
    panelist.invited_at = now or utcnow()
    db.session.flush()


def _on_session_changed(session: AgendaSession, changes: dict[str, Any] | None = None, **_kw: Any) -> None:
    """`session_changed` receiver: the schedule service says which panelists a published change concerns."""
    changes = changes or {}
    if "panelist_ids" in changes:
        notify_session_change(session, set(changes["panelist_ids"]), cancelled=bool(changes.get("cancelled")))


def register(app: Flask) -> None:
    session_changed.connect(_on_session_changed)


def notify_session_change(session: AgendaSession, panelist_ids: set[int], *, cancelled: bool) -> None:
    """Email each panelist concerned (in their own zone) once the change is committed."""
    event = db.session.get_one(Event, session.event_id)
    for pid in sorted(panelist_ids):
        panelist = db.session.get(Panelist, pid)
        if panelist is None or not panelist.email:
            continue
        with force_locale(_mail_locale(event)):
            still_in = any(sp.panelist_id == pid for sp in session.panelists)
            context = {"panelist": panelist, "event": event, "session": session, "cancelled": cancelled,
                       "removed": not still_in and not cancelled, "link": link_url(panelist),
                       "starts": format_in_zone(session.starts_at, panelist.timezone),
                       "ends": format_in_zone(session.ends_at, panelist.timezone, "time")}
            subject = _("Cancelled: %(title)s", title=session.title) if cancelled else \
                _("Schedule change: %(title)s", title=session.title)
            queue_mail(kind="session_change", to=panelist.email, event_id=event.id, subject=subject,
                       text=render_template("mail/session_change.txt", **context))


# --- presence -------------------------------------------------------------------------------------------------

def is_arrived(panelist: Panelist, event: Event, now: datetime) -> bool:
    if panelist.arrived_at is None:
        return False
    return to_zone(panelist.arrived_at, event.timezone).date() == to_zone(now, event.timezone).date()


def is_session_day(panelist: Panelist, event: Event, now: datetime) -> bool:
    today = to_zone(now, event.timezone).date()
    return any(to_zone(s.starts_at, event.timezone).date() == today
               for s, _sp in sessions_for(panelist) if not s.is_cancelled)


def mark_arrived(panelist: Panelist, event: Event, *, now: datetime | None = None) -> bool:
    """The panelist opened their page on a day they speak. Returns True when this is news."""
    now = now or utcnow()
    if not is_session_day(panelist, event, now) or is_arrived(panelist, event, now):
        return False
    panelist.arrived_at = now
    db.session.flush()
    return True


def presence_of(panelist: Panelist, event: Event, now: datetime) -> dict:
    return {"panelist_id": panelist.id, "name": panelist.name, "mode": panelist.mode.value,
            "arrived": is_arrived(panelist, event, now),
            "arrived_at": panelist.arrived_at.isoformat() if panelist.arrived_at else None}


def green_room(event: Event, now: datetime | None = None) -> list[dict]:
    """Per session, its panelists and whether they arrived: what moderators and organizers watch."""
    now = now or utcnow()
    out = []
    for session in sessions_of(event, include_cancelled=False):
        out.append({
            "session_id": session.id, "title": session.title, "starts_at": session.starts_at.isoformat(),
            "panelists": [{**presence_of(sp.panelist, event, now), "mode": sp.effective_mode.value}
                          for sp in session.panelists],
        })
    return out
