"""Home page, language switch, health check."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from sqlalchemy import text
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from eventhub.core.i18n import LANG_SESSION_KEY
from eventhub.core.ids import MAX_ID
from eventhub.extensions import db

bp = Blueprint("core", __name__)


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site relative paths: never an open redirect."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


HOME_EVENTS = "eventhub.home_events"  # app.extensions key: a callable returning the events the home page lists


@bp.get("/")
def index():
    # The events area provides the list (eventhub.events.routes.register): core imports no feature area.
    upcoming = current_app.extensions.get(HOME_EVENTS, list)
    return render_template("core/index.html", events=upcoming())


@bp.post("/lang")
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session[LANG_SESSION_KEY] = lang
        session.permanent = True
    return redirect(safe_next(request.form.get("next"), url_for("core.index")))


@bp.get("/healthz")
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in every URL: an id larger than a database integer holds is a 404 (SQLite's driver raised
    OverflowError on it, a 500). Raised here rather than via `max=`, which would make Werkzeug answer 405 when
    another rule with the same path takes other methods."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_ID:
            raise NotFound()
        return number
