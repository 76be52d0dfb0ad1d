"""Bearer API tokens on a request: shared by every JSON API blueprint (api, checkin, schedule)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request
from flask_babel import gettext as _

from eventhub.auth.models import ApiToken
from eventhub.auth.services import authenticate_api_token
from eventhub.core.errors import Forbidden
from eventhub.core.errors_web import error_body


def bearer_token() -> ApiToken | None:
    """The request's token, looked up once per request (the rate limiter and the view both ask)."""
    if "api_token_checked" not in g:
        header = request.headers.get("Authorization", "")
        g.api_token_checked = authenticate_api_token(header[7:].strip()) if header.startswith("Bearer ") else None
    return g.api_token_checked


def token_for_this_event() -> ApiToken | None:
    token = bearer_token()
    return token if token is not None and token.event_id == (request.view_args or {}).get("event_id") else None


def token_required(view: Callable) -> Callable:
    """Requires a live token for the `event_id` in the URL."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        token = bearer_token()
        if token is None:
            return error_body("unauthorized", _("A valid API token is required.")), 401, {
                "WWW-Authenticate": 'Bearer realm="eventhub"'}
        if token.event_id != kwargs.get("event_id"):
            raise Forbidden("forbidden", _("This token is not valid for this event."))
        g.api_token = token
        return view(*args, **kwargs)

    wrapped.token_required = True  # type: ignore[attr-defined]
    return wrapped
