"""What every schedule module shares: field limits, looking up a client's id, cleaning text, checking a URL."""

from __future__ import annotations

from typing import TypeVar

from flask_babel import lazy_gettext as _l

from eventhub.core.errors import strip_control
from eventhub.extensions import db

T = TypeVar("T")

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
URL_MAX = 500
ROOM_NAME_MAX = 120
MAX_ID = 2**31 - 1  # primary keys are 32-bit integers: a larger id from a client names nothing


def get_by_id(model: type[T], ident: object) -> T | None:
    """`db.session.get` for an id a client sent: None for anything no row can have (PostgreSQL and SQLite would
    refuse an integer beyond the column's range with an error rather than find nothing)."""
    if not isinstance(ident, int) or isinstance(ident, bool) or not 0 < ident <= MAX_ID:
        return None
    return db.session.get(model, ident)


def clean(text: object) -> str:
    return " ".join(strip_control(str(text or "")).split())


def check_url(value: str, name: str, errors: dict[str, list[str]]) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > URL_MAX:
        errors.setdefault(name, []).append(str(_l("At most %(n)d characters.", n=URL_MAX)))
    elif not value.lower().startswith(("https://", "http://")) or any(c.isspace() for c in value) \
            or strip_control(value) != value:
        errors.setdefault(name, []).append(str(_l("Enter a web address starting with https://")))
    return value
