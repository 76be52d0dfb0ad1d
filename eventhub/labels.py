"""What templates show for the areas' values: status, role and mode labels, country names.

Above the areas (like eventhub/signals.py), so that `core` imports no feature area: the app factory calls
`register(app)`.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from eventhub.auth.forms import ROLE_LABELS
from eventhub.events.models import EventStatus
from eventhub.registration.countries import country_name
from eventhub.registration.models import AttendanceMode, RegistrationStatus


def register(app: Flask) -> None:
    @app.template_filter("country")
    def country(code: str) -> str:
        return country_name(code, str(get_locale() or "fr"))

    labels: dict[Any, Any] = {
        **ROLE_LABELS,
        EventStatus.DRAFT: _l("draft"), EventStatus.PUBLISHED: _l("published"), EventStatus.CANCELLED: _l("cancelled"),
        RegistrationStatus.CONFIRMED: _l("confirmed"), RegistrationStatus.WAITLISTED: _l("waitlisted"),
        RegistrationStatus.CANCELLED: _l("cancelled"),
        AttendanceMode.IN_PERSON: _l("In the room"), AttendanceMode.REMOTE: _l("Remote"),
        # MailMessage.status (a plain string column)
        "queued": _l("waiting to be sent"), "sent": _l("sent"), "failed": _l("sending failed"),
        "sending": _l("being sent"),
        "outbox": _l("kept in the outbox (no mail server)"),
    }

    def label(value: object) -> str:
        return str(labels.get(value, value))

    app.jinja_env.globals.update(role_label=label, status_label=label, mode_label=label)
