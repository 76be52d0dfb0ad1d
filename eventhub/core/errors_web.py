"""The one error envelope, and the error pages / JSON error bodies built from it.

Every refusal a client sees has the same shape: `{"error": {"code", "message", "fields"?}}` in a JSON body (the
API, the page routes that answer JSON), `{"ok": false, "error": {...}}` in a socket ack, and the same message on an
HTML error page. JSON is chosen by the request — a JSON blueprint (`json_blueprint`), a view marked `json_view`,
a JSON body or an `Accept` that prefers JSON — never by the URL's prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request
from flask.sansio.blueprints import Blueprint as AnyBlueprint
from flask_babel import gettext as _
from flask_login import login_url
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from eventhub.core.errors import DomainError
from eventhub.extensions import db, login_manager

F = TypeVar("F", bound=Callable[..., Any])

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 410: "gone", 413: "too_large", 429: "rate_limited", 500: "server_error"}


def error_body(code: str, message: str, fields: dict | None = None) -> dict[str, Any]:
    """The envelope: `{"error": {"code": …, "message": …, "fields"?: {name: [messages]}}}`."""
    inner: dict[str, Any] = {"code": code, "message": str(message)}
    if fields:
        inner["fields"] = fields
    return {"error": inner}


def domain_body(exc: DomainError) -> dict[str, Any]:
    return {**error_body(exc.code, str(exc.message), exc.fields), **exc.extra()}


def json_blueprint(bp: Blueprint) -> Blueprint:
    """Every route of this blueprint answers JSON, errors included."""
    bp.answers_json = True  # type: ignore[attr-defined]
    return bp


def _json_blueprints() -> list[AnyBlueprint]:
    return [bp for bp in current_app.blueprints.values() if getattr(bp, "answers_json", False)]


def json_view(view: F) -> F:
    """A page route that answers JSON (the scanner's scans, the grid's moves): its errors are JSON too."""
    view.json_view = True  # type: ignore[attr-defined]
    return view


def wants_json() -> bool:
    if request.blueprint and getattr(current_app.blueprints.get(request.blueprint), "answers_json", False):
        return True
    endpoint = request.url_rule.endpoint if request.url_rule else None
    if endpoint and getattr(current_app.view_functions.get(endpoint), "json_view", False):
        return True
    if request.url_rule is None and _under_json_blueprint():
        return True  # an unknown URL under a JSON blueprint's prefix (no rule matched, so no blueprint either)
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(("text/html", "application/json"))
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _under_json_blueprint() -> bool:
    prefixes = [bp.url_prefix for bp in _json_blueprints() if bp.url_prefix]
    return any(request.path.startswith(p.split("<", 1)[0].rstrip("/") + "/") for p in prefixes)


def error_page(status: int, code: str, message: str, fields: dict | None = None) -> Any:
    if wants_json():
        return error_body(code, message, fields), status
    return render_template("errors/error.html", status=status, message=message), status


def _unauthorized() -> Any:
    """Flask-Login's "please sign in": a JSON call gets 401 JSON; a page, the login page with `next`."""
    if wants_json():
        return error_body("unauthorized", str(login_manager.login_message)), 401
    flash(str(login_manager.login_message), login_manager.login_message_category)
    return redirect(login_url(str(login_manager.login_view), next_url=request.url))


def register(app: Flask) -> None:
    login_manager.unauthorized_handler(_unauthorized)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        if wants_json():
            return domain_body(exc), exc.status
        return error_page(exc.status, exc.code, str(exc.message))

    @app.errorhandler(SecurityError)
    def untrusted_host(_exc: SecurityError):
        # A Host outside TRUSTED_HOSTS: no URL can be built for it, so no page template either.
        return error_body("untrusted_host", _("This request could not be understood.")), 400

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = _("This form has expired or was sent from elsewhere. Please reload the page and try again.")
        return error_page(400, "csrf_failed", message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        messages = {
            400: _("This request could not be understood."),
            404: _("This page does not exist."),
            403: _("You do not have access to this page."),
            405: _("This action is not allowed here."),
            410: _("This link is no longer valid."),
            413: _("What you sent is too large."),
            429: _("Too many attempts. Please wait a moment and try again."),
            500: _("Something went wrong on our side. Please try again in a moment."),
        }
        message = messages.get(status, exc.description or _("Something went wrong."))
        return error_page(status, HTTP_CODES.get(status, f"http_{status}"), str(message))
