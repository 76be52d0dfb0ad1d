"""Per-person, per-stage Janus tokens.

A token is `"<unix expiry>.<random>"`: the expiry is readable from the token itself, so every app process can sweep
expired tokens out of Janus (`JanusPool.sweep_tokens`) without shared state. The token is stored in Janus (core
`token_auth`, limited to the plugins it needs) and in the stage room's `allowed` list; Janus then refuses any request
without it — an expired (swept), foreign (another room's ACL) or revoked (removed) token is refused by Janus itself.
"""

from __future__ import annotations

import secrets
import time

DEFAULT_TOKEN_TTL = 4 * 3600


def new_token(ttl: int = DEFAULT_TOKEN_TTL, now: float | None = None) -> str:
    expiry = int((time.time() if now is None else now) + ttl)
    return f"{expiry}.{secrets.token_urlsafe(24)}"


def token_expiry(token: str) -> int | None:
    """The expiry written in one of our tokens; None for anything else (left alone by the sweep)."""
    head, sep, tail = token.partition(".")
    if not sep or not head.isdigit() or len(tail) < 16:
        return None
    return int(head)


def is_expired(token: str, now: float | None = None) -> bool:
    expiry = token_expiry(token)
    return expiry is not None and expiry <= (time.time() if now is None else now)
