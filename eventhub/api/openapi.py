"""The OpenAPI 3.1 document of /api/v1, built from the operations the routes declare (eventhub.core.apidoc)."""

from __future__ import annotations

from flask import Flask

from eventhub.core.apidoc import build_document

PREFIX = "/api/v1"
INFO = {"title": "EventHub API", "version": "1.0.0",
        "description": "Events, registrations, tickets, check-in, schedule, speaking times and report data. Errors are "
                       "`{\"error\": {\"code\", \"message\", \"fields\"}}`."}
SECURITY_SCHEMES = {"bearerAuth": {"type": "http", "scheme": "bearer",
                                   "description": "An API token an organizer creates for one event."}}


def build_openapi(app: Flask) -> dict:
    """Built once per app (the routes do not change after the app factory)."""
    doc = app.extensions.get("eventhub_openapi")
    if doc is None:
        doc = app.extensions["eventhub_openapi"] = build_document(app, prefix=PREFIX, info=INFO,
                                                                  security_schemes=SECURITY_SCHEMES)
    return doc
