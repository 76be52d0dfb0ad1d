"""Q&A rate limits, per participant and per connection/address, across processes (the limiter's storage is Redis
when scaled out). Re-exported by `eventhub.qa.services`."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from limits import parse

from eventhub.core.errors import DomainError
from eventhub.extensions import limiter
from eventhub.qa.participants import Participant


class RateLimited(DomainError):
    status = 429


def check_rate(kind: str, participant: Participant) -> None:
    """Per participant, across processes."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    limit = parse(current_app.config[f"QA_{kind.upper()}_LIMIT"])  # QA_ASK_LIMIT, QA_VOTE_LIMIT
    if not limiter.limiter.hit(limit, "qa", kind, participant.key):
        message = _l("You are asking too fast. Please wait a minute.") if kind == "ask" else \
            _l("You are voting too fast. Please wait a moment.")
        raise RateLimited("rate_limited", message)


def check_join_rate(connection: str, address: str | None) -> None:
    """`join` builds a snapshot: per connection and per network address (a whole venue may share one address
    behind its NAT, hence the generous default)."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    for name, key in (("QA_JOIN_LIMIT", connection), ("QA_JOIN_ADDRESS_LIMIT", address or "-")):
        if not limiter.limiter.hit(parse(current_app.config[name]), "qa-join", name, key):
            raise RateLimited("rate_limited", _l("Too many joins: wait a few seconds and try again."))
