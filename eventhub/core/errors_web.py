"""Error pages for browsers and JSON error bodies for the API."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from eventhub.core.errors import DomainError
from eventhub.extensions import db


def wants_json() -> bool:
    """The API, and any page call that sent JSON (the scanner's fetches): their errors are JSON bodies too."""
    return request.path.startswith("/api/") or request.is_json


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    body: dict = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        if wants_json():
            return {"error": exc.to_dict()}, exc.status
        return render_template("errors/error.html", status=exc.status, message=str(exc.message)), exc.status

    @app.errorhandler(SecurityError)
    def untrusted_host(_exc: SecurityError):
        # A Host outside TRUSTED_HOSTS: no URL can be built for it, so no page template either.
        return error_body("untrusted_host", _("This request could not be understood.")), 400

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = _("This form has expired or was sent from elsewhere. Please reload the page and try again.")
        if wants_json():
            return error_body("csrf_failed", message), 400
        return render_template("errors/error.html", status=400, message=message), 400

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
        if wants_json():
            code = {404: "not_found", 403: "forbidden", 401: "unauthorized", 405: "method_not_allowed",
                    413: "too_large", 429: "rate_limited"}.get(status, f"http_{status}")
            return error_body(code, str(message)), status
        return render_template("errors/error.html", status=status, message=message), status
