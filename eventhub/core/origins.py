"""Which web origins may open a Socket.IO connection (python-engineio's `cors_allowed_origins` callable).

`cors_allowed_origins=[]` does not mean "same origin": python-engineio reads it as "no check at all", so a page on
any site could open a socket with an organizer's cookie. Allowed: the origin of `PUBLIC_BASE_URL` and those listed in
`SOCKETIO_ALLOWED_ORIGINS`; with neither configured (development), the origin of the request's own Host. A request
without an Origin header (not a browser, so no victim's cookie) is not checked by python-engineio.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise(origin: str) -> str | None:
    """`scheme://host[:port]`, lower case, default port dropped; None for anything else."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/") or parts.query:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" if port in (None, _DEFAULT_PORTS[parts.scheme]) else \
        f"{parts.scheme}://{host}:{port}"


def configured_origins(config: Any) -> set[str]:
    listed = [config.get("PUBLIC_BASE_URL") or "", *config["SOCKETIO_ALLOWED_ORIGINS"]]
    return {o for o in (normalise(x) for x in listed if x) if o}


def allowed_origin(origin: str | None, environ: dict) -> bool:
    if not origin:
        return True
    wanted = normalise(origin)
    if wanted is None:
        return False
    app: Flask | None = environ.get("flask.app")  # Flask-SocketIO's middleware puts it there
    allowed = configured_origins(app.config) if app is not None else set()
    if allowed:
        return wanted in allowed
    own = normalise(f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}")
    return own is not None and wanted == own
