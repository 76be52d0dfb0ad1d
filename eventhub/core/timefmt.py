"""Conversions between UTC storage and the zones people read times in (only at the edges)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, get_timezone_location
from babel.localedata import locale_identifiers
from flask_babel import get_locale
from flask_babel import gettext as _

from eventhub.core.i18n import page_event_locale


def is_valid_zone(name: str) -> bool:
    if not name or name != name.strip() or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_choices() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


def to_zone(value: datetime, zone: str) -> datetime:
    return value.astimezone(ZoneInfo(zone))


def local_to_utc(naive_local: datetime, zone: str) -> datetime:
    """A wall-clock time typed in a form, read in `zone`, as aware UTC."""
    return naive_local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def formatting_locale(region: str | None = None) -> Locale:
    """The reader's language with the region its dates and numbers follow: the event's ("ar" read on an event
    set to ar_DZ or fr_DZ formats as ar_DZ), when Babel knows that pair; else the language alone."""
    locale = get_locale() or Locale.parse("fr")
    if region is None:
        parts = (page_event_locale() or "").split("_")
        region = parts[1] if len(parts) == 2 else None
    if region and f"{locale.language}_{region}" in locale_identifiers():
        return Locale(locale.language, region)
    return locale


def format_in_zone(value: datetime, zone: str, fmt: str = "full", *, region: str | None = None) -> str:
    """Localised date and time in `zone`, with the zone's abbreviation/offset."""
    local = to_zone(value, zone)
    pattern = {"full": "EEEE d MMMM y, HH:mm", "short": "d MMM y, HH:mm", "time": "HH:mm"}.get(fmt, fmt)
    text = format_datetime(value, pattern, tzinfo=ZoneInfo(zone), locale=formatting_locale(region))
    return f"{text} ({_offset_label(local)})"


def _offset_label(local: datetime) -> str:
    offset = local.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{mins:02d}" if mins else "") if minutes else "UTC"


def current_locale_code() -> str:
    loc = get_locale()
    return loc.language if loc else "fr"


def utc_offset_text(value: datetime, zone: str) -> str:
    """"UTC+0", "UTC+1", "UTC-7", "UTC+5:30" for `value` seen in `zone`."""
    offset = to_zone(value, zone).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{mins:02d}" if mins else "")


def zone_label(zone: str, at: datetime | None = None) -> str:
    """The place a zone's clocks are read in, with its offset then: "heure de Bamako (UTC+0)"."""
    city = get_timezone_location(zone, locale=formatting_locale(), return_city=True)
    return _("%(city)s time", city=city) + f" ({utc_offset_text(at or datetime.now(UTC), zone)})"


def language_name(code: str) -> str:
    """A language code as its name in the reader's language ("fr" → "français"/"French"), the code if unknown."""
    try:
        name = Locale.parse(str(get_locale() or "fr")).languages.get(code)
    except (ValueError, UnknownLocaleError):
        name = None
    return name or code
