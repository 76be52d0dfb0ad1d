"""Plain helpers shared by tests of several areas (functions, not fixtures)."""

from __future__ import annotations

import re

from eventhub.auth.models import EventRole, Role
from eventhub.extensions import db


def field_errors(html: str, field: str) -> list[str]:
    """The messages in the `ul.errors` the form macro puts next to `field` (empty when none)."""
    match = re.search(rf'<ul class="errors" id="{re.escape(field)}-err">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1), re.S) if match else []


def event_organizer(event):
    grant = db.session.scalar(db.select(EventRole).where(EventRole.event_id == event.id,
                                                         EventRole.role == Role.ORGANIZER))
    return grant.user
