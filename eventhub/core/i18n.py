"""Which language and zone a page is rendered in, and which way it reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app, has_request_context, request, session
from flask_login import current_user

LANG_SESSION_KEY = "lang"
RTL_LANGUAGES = frozenset({"ar"})
# app.extensions key: a function of a request's view arguments giving the default locale ("ar", "fr_ML") of
# the event the page belongs to, or None. The events area provides it: core imports no feature area.
EVENT_LOCALE = "eventhub.event_locale"
EventLocaleLookup = Callable[[Mapping[str, Any]], str | None]
_CACHE = "_eventhub_event_locale"


def page_event_locale() -> str | None:
    """The default locale of the event this request's page shows (looked up once per request)."""
    if not has_request_context():
        return None
    # Kept on the request, not on g: an app context (and its g) may outlive several requests.
    req = request._get_current_object()  # type: ignore[attr-defined]
    if not hasattr(req, _CACHE):
        lookup: EventLocaleLookup | None = current_app.extensions.get(EVENT_LOCALE)
        setattr(req, _CACHE, lookup(req.view_args) if lookup and req.view_args else None)
    return getattr(req, _CACHE)


def select_locale() -> str:
    """The explicit choice, else the signed-in user's language, else the event's default language, else the
    browser's preference among the interface languages (`ar-DZ` → ar), else the default."""
    supported = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, background tasks: force_locale() sets the language where it matters
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = session.get(LANG_SESSION_KEY)
    if lang in supported:
        return str(lang)
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in supported:
        return str(user_locale)
    event_lang = (page_event_locale() or "").split("_")[0]
    if event_lang in supported:
        return event_lang
    return request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]


def text_direction(locale: object) -> str:
    return "rtl" if str(locale or "").split("_")[0] in RTL_LANGUAGES else "ltr"


def default_zone() -> str:
    """The configured zone (DEFAULT_TIMEZONE): of an event or panelist created without one, of pages without a user."""
    return current_app.config["DEFAULT_TIMEZONE"]


def select_timezone() -> str:
    if not has_request_context():
        return default_zone()
    return getattr(current_user, "timezone", None) or default_zone()
