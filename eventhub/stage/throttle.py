"""Rate limit of the /stage socket events, per participant: only staff, speakers, ticket holders and the stage's
key may send them, but a stuck page (a reconnect loop, a timer gone wild) or a hostile client must not flood the
database and the stage's broadcasts. Counted per identity (account, panelist, ticket or stage key), not per
socket, so opening another socket does not reset the count; across processes through the limiter's storage
(Redis when scaled out), like the Q&A and floor limits."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from limits import parse_many

from eventhub.core.errors import DomainError
from eventhub.extensions import limiter


class RateLimited(DomainError):
    status = 429


def identity(*, user_id: int | None, panelist_id: int | None, registration_id: int | None, key: str | None,
             sid: str) -> str:
    """Who is counted: the first credential the socket carries (a stage key is hashed: it is a secret)."""
    if user_id is not None:
        return f"user:{user_id}"
    if panelist_id is not None:
        return f"panelist:{panelist_id}"
    if registration_id is not None:
        return f"ticket:{registration_id}"
    if key is not None:
        return "key:" + hashlib.sha256(key.encode()).hexdigest()[:24]
    return f"socket:{sid}"


def check(who: str) -> None:
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    limits = parse_many(current_app.config["STAGE_EVENT_LIMIT"])
    # Every window is hit, so the long one still counts while the short one refuses.
    allowed = [limiter.limiter.hit(limit, "stage", who) for limit in limits]
    if not all(allowed):
        raise RateLimited("rate_limited", _l("Too many stage messages: wait a few seconds and try again."))


def limited(who: Callable[[], str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a namespace handler: `who()` names the participant of the event being handled."""
    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def wrapper(self: Any, payload: Any = None) -> Any:
            check(who())
            return handler(self, payload)
        return wrapper
    return decorate
