"""Bearer API tokens on a request: shared by every JSON API blueprint (api, checkin, schedule)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from flask import current_app, g, request
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from eventhub.auth.models import ApiToken
from eventhub.auth.services import authenticate_api_token, record_token_use, token_use_due
from eventhub.core.errors import Forbidden
from eventhub.core.errors_web import error_body

log = logging.getLogger(__name__)
_EXTENSION = "eventhub.token_use"


class TokenUse:
    """The tokens whose `last_used_at` this process is writing right now. A burst of requests with one token (a
    desk's script registering 50 people at once) all see the old value; before, each took a second pooled
    connection to write it, and 50 requests each holding one connection and waiting for a second emptied the
    pool for its 10 s timeout (bench.registration: p99 21 s, and 60 answers 500 after their registration was
    committed). Now one write per token is in flight; the others skip it (the value is at most a minute off)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._writing: set[int] = set()

    @contextmanager
    def writing(self, token_id: int) -> Iterator[bool]:
        with self._lock:
            mine = token_id not in self._writing
            self._writing.add(token_id)
        try:
            yield mine
        finally:
            if mine:
                with self._lock:
                    self._writing.discard(token_id)


def record_use() -> None:
    """After the request (eventhub.api's after_app_request): write the token's use if due and not already being
    written by this process. Best effort: a failure is logged, never turned into an error answer for a request
    whose own work is committed."""
    seen = g.get("api_token_seen")  # (id, last_used_at) as read on the way in: the commit expired the token
    if seen is None or not token_use_due(*seen):
        return
    uses = current_app.extensions.setdefault(_EXTENSION, TokenUse())
    with uses.writing(seen[0]) as mine:
        if not mine:
            return
        try:
            record_token_use(seen[0])
        except SQLAlchemyError:
            log.warning("could not record the use of API token %s", seen[0], exc_info=True)


def bearer_token() -> ApiToken | None:
    """The request's token, looked up once per request (the rate limiter and the view both ask)."""
    if "api_token_checked" not in g:
        header = request.headers.get("Authorization", "")
        token = authenticate_api_token(header[7:].strip()) if header.startswith("Bearer ") else None
        g.api_token_checked = token
        if token is not None:
            g.api_token_seen = (token.id, token.last_used_at)
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
