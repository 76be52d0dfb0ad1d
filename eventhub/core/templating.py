"""Template filters, globals and the security headers every response carries."""

from __future__ import annotations

from datetime import datetime

from babel.numbers import format_decimal
from flask import Flask, Response, current_app, request
from flask_babel import get_locale
from markupsafe import Markup, escape

from eventhub.core.i18n import text_direction
from eventhub.core.timefmt import format_in_zone, formatting_locale, language_name, zone_choices, zone_label

# The interface languages, each named in itself (the language switcher).
LANGUAGE_NAMES = {"fr": "Français", "en": "English", "ar": "العربية"}


def ltr(value: object) -> Markup:
    """A left-to-right run inside text of either direction (ticket and short codes, email addresses, phone
    numbers, times, URLs): isolated, so Arabic around it neither reorders it nor is reordered by it."""
    return Markup('<bdi dir="ltr">%s</bdi>') % escape(value)

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def number(value: float) -> str:
    """A number as the reader's language (and the event's region) writes it: 1 234 (fr), 1.234 (ar_DZ)."""
    return format_decimal(value, locale=formatting_locale())


def register(app: Flask) -> None:
    @app.template_filter("in_zone")
    def in_zone(value: datetime | None, zone: str, fmt: str = "full") -> str:
        return format_in_zone(value, zone, fmt) if value else ""

    app.add_template_global(zone_label, "zone_label")
    app.add_template_global(zone_choices, "zone_choices")
    app.add_template_filter(language_name, "language_name")
    app.add_template_filter(ltr, "ltr")
    app.add_template_filter(number, "number")

    @app.context_processor
    def globals_():
        locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
        languages = current_app.config["LANGUAGES"]
        return {"current_lang": locale, "text_dir": text_direction(locale),
                "interface_languages": [(code, LANGUAGE_NAMES.get(code, code)) for code in languages]}

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # Ticket links carry the ticket code: never leak them to another site.
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CSP)
        if max_age := current_app.config.get("HSTS_MAX_AGE"):
            response.headers.setdefault("Strict-Transport-Security", f"max-age={max_age}; includeSubDomains")
        if request.path.startswith("/t/") or request.path.startswith("/manage") or request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
