"""What every schedule module shares: field limits, looking up a client's id (eventhub.core.ids), checking a URL."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from eventhub.core.errors import strip_control
from eventhub.core.ids import MAX_ID as MAX_ID  # re-exported: the schedule's modules use common.*
from eventhub.core.ids import get_by_id as get_by_id

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
URL_MAX = 500
ROOM_NAME_MAX = 120


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
