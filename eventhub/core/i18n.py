"""Which language and zone a page is rendered in."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user

LANG_SESSION_KEY = "lang"


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, background tasks: force_locale() sets the language where it matters
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = session.get(LANG_SESSION_KEY)
    if lang in supported:
        return str(lang)
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in supported:
        return str(user_locale)
    return request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    if not has_request_context():
        return current_app.config["DEFAULT_TIMEZONE"]
    return getattr(current_user, "timezone", None) or current_app.config["DEFAULT_TIMEZONE"]
