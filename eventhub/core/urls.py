"""Absolute links for emails, feeds and QR codes, which may be built outside a request (API, CLI, background
tasks). Never from the request's Host header alone: a forged Host would put an attacker's domain in front of
a real ticket code or reset token in someone's mailbox."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request, url_for

DEVELOPMENT_BASE = "http://127.0.0.1:5000"


def public_base() -> str:
    """PUBLIC_BASE_URL (required in production); without it, the request's host only when TRUSTED_HOSTS is set
    (Flask has then already answered 400 to any other Host); else the development server's own address."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/")
    if has_request_context() and current_app.config.get("TRUSTED_HOSTS"):
        return request.host_url.rstrip("/")
    return current_app.config.get("DEVELOPMENT_BASE_URL") or DEVELOPMENT_BASE


def external_url(endpoint: str, **values: Any) -> str:
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return public_base() + path
