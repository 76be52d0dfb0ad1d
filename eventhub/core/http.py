"""Request handling shared by every area: the body is read before anything touches the database, and the
client address comes from the configured number of trusted proxies."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix


def read_body_first() -> None:
    """Read the whole request body (bounded by MAX_CONTENT_LENGTH) before any extension or view runs.

    A client sending its body slowly then only ever waits on the network, never while the request holds a
    database transaction: a write lock held across that wait froze every request of a gevent process on SQLite
    (the busy handler does not yield) and held row locks on PostgreSQL. Form bodies are parsed into
    `request.form`; anything else is cached for `request.get_json()`/`get_data()`.
    """
    if request.content_length or request.headers.get("Transfer-Encoding"):
        request.get_data(cache=True, parse_form_data=True)


def install(app: Flask) -> None:
    """Called first in create_app, so `read_body_first` runs before every other before_request hook."""
    app.before_request(read_body_first)
    x_for, x_proto = app.config["PROXY_FIX_X_FOR"], app.config["PROXY_FIX_X_PROTO"]
    if x_for or x_proto:
        # Only as many hops as the deployment really has (docs/deployment.md): trusting more would let any client
        # pick its own address and so its own rate limits.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=x_for, x_proto=x_proto)  # type: ignore[method-assign]
