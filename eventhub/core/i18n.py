"""Which language and zone a page is rendered in."""

from __future__ import annotations

from flask import current_app, request, session
from flask_login import current_user

LANG_SESSION_KEY = "lang"


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    lang = session.get(LANG_SESSION_KEY)
    if lang in supported:
        return lang
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in supported:
        return user_locale
    return request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return getattr(current_user, "timezone", None) or current_app.config["DEFAULT_TIMEZONE"]
