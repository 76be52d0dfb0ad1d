"""Issuing the report: a numbered, dated, frozen version whose PDF and XLSX bytes are stored as generated."""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from eventhub.auth.models import User
from eventhub.core.errors import Conflict, NotFound, ValidationFailed
from eventhub.core.timefmt import format_in_zone
from eventhub.core.types import utcnow
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.report import render
from eventhub.report.data import collect
from eventhub.report.models import ReportVersion


def check_locale(locale: object) -> str:
    if locale not in render.LOCALES:
        raise ValidationFailed("invalid_locale", _l("Choose French, Arabic or English."),
                               fields={"lang": [str(_l("Choose from the list."))]})
    return str(locale)


def issue(event: Event, locale: object, *, by: User, now: datetime | None = None) -> ReportVersion:
    lang = check_locale(locale)
    now = now or utcnow()
    number = int(db.session.scalar(select(func.coalesce(func.max(ReportVersion.number), 0))
                                   .where(ReportVersion.event_id == event.id)) or 0) + 1
    data = collect(event)
    with force_locale(lang):
        stamp = {"number": number, "date": format_in_zone(now, event.timezone, "short")}
    rendered = render.pdf(data, lang, version=stamp)
    workbook = render.xlsx(data, lang)
    version = ReportVersion(event_id=event.id, number=number, locale=lang, issued_at=now, issued_by_id=by.id,
                            checksum=rendered.checksum, pdf_sha256=rendered.pdf_sha256, pages=rendered.pages,
                            pdf=rendered.pdf, xlsx=workbook)
    try:
        with db.session.begin_nested():
            db.session.add(version)
            db.session.flush()
    except IntegrityError:
        raise Conflict("version_taken", _l("Another version was issued at the same moment: issue again.")) from None
    return version


def versions_of(event: Event) -> list[ReportVersion]:
    """Without the stored bytes (the list page must not load megabytes)."""
    return list(db.session.scalars(select(ReportVersion).where(ReportVersion.event_id == event.id)
                                   .options(db.defer(ReportVersion.pdf), db.defer(ReportVersion.xlsx))
                                   .order_by(ReportVersion.number.desc())))


def get_version(event: Event, version_id: int) -> ReportVersion:
    version = db.session.get(ReportVersion, version_id)
    if version is None or version.event_id != event.id:
        raise NotFound("version_not_found", _l("No such version of the report."))
    return version
