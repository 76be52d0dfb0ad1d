"""TURN credentials in coturn's REST scheme (`use-auth-secret` / `static-auth-secret`).

username = "<unix expiry>:<name>", credential = base64(HMAC-SHA1(secret, username)). coturn recomputes the HMAC
with its shared secret and refuses the username once the expiry has passed, so nothing is stored anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

DEFAULT_TTL = 6 * 3600  # a session plus its green room; the browser asks for fresh ones when it rejoins


def turn_password(secret: str, username: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def turn_credentials(secret: str, name: str, *, ttl: int = DEFAULT_TTL, now: float | None = None) -> tuple[str, str]:
    """(username, password) valid for `ttl` seconds from `now`. `name` is an opaque label (no personal data:
    coturn logs it) — use e.g. "stage12-p34"."""
    expiry = int((time.time() if now is None else now) + ttl)
    username = f"{expiry}:{name.replace(':', '_')}"
    return username, turn_password(secret, username)


def ice_servers(urls: list[str], secret: str | None, name: str, *, ttl: int = DEFAULT_TTL,
                stun_urls: list[str] | None = None, now: float | None = None) -> list[dict[str, Any]]:
    """An RTCPeerConnection `iceServers` list: one entry with every TURN url (turn:…?transport=udp, …tcp,
    turns:…:443?transport=tcp) sharing one time-limited credential, plus STUN urls when given. Without a
    secret or urls, only the STUN entry (or nothing)."""
    servers: list[dict[str, Any]] = []
    if stun_urls:
        servers.append({"urls": list(stun_urls)})
    if urls and secret:
        username, password = turn_credentials(secret, name, ttl=ttl, now=now)
        servers.append({"urls": list(urls), "username": username, "credential": password})
    return servers


def parse_urls(value: str | None) -> list[str]:
    """TURN_URLS: comma- or space-separated."""
    return [u for u in (value or "").replace(",", " ").split() if u]
