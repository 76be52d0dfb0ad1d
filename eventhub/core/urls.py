"""Absolute links for emails, which may be built outside a request (API, CLI, background tasks)."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request, url_for


def external_url(endpoint: str, **values: Any) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL")
    if has_request_context():
        path = url_for(endpoint, **values)
        base = base or request.host_url
    else:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
        base = base or "http://127.0.0.1:5000/"
    return base.rstrip("/") + path
