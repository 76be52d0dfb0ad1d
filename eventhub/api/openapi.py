"""The OpenAPI 3.1 document of /api/v1, with component schemas generated from the pydantic models."""

from __future__ import annotations

from functools import lru_cache

from pydantic.json_schema import models_json_schema

from eventhub.api import schemas
from eventhub.checkin import openapi as checkin_openapi
from eventhub.floor import openapi as floor_openapi
from eventhub.report import openapi as report_openapi
from eventhub.schedule import openapi as schedule_openapi

_MODELS = [
    schemas.ErrorBody, schemas.EventOut, schemas.EventPatch, schemas.RegistrationIn, schemas.RegistrationOut,
    schemas.RegistrationPage, schemas.TicketStatus, schemas.PublicKey, *checkin_openapi.MODELS,
    *schedule_openapi.MODELS, *floor_openapi.MODELS, *report_openapi.MODELS,
]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def _errors(*statuses: int) -> dict:
    text = {400: "Malformed request", 401: "Missing or invalid API token", 403: "Token not valid for this event",
            404: "Not found", 409: "Conflict with the current state (e.g. already registered)",
            422: "Validation failed; `error.fields` lists the problems per field", 429: "Rate limited"}
    return {str(s): _json("ErrorBody", text[s]) for s in statuses}


EVENT_ID = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}
REG_ID = {"name": "registration_id", "in": "path", "required": True, "schema": {"type": "integer"}}
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


@lru_cache(maxsize=1)
def build_openapi() -> dict:
    _, defs = models_json_schema([(m, "serialization") for m in _MODELS],  # type: ignore[misc]
                                 ref_template="#/components/schemas/{model}")
    components = defs.get("$defs", {})
    body = lambda name: {"required": True, "content": {"application/json": {"schema": _ref(name)}}}  # noqa: E731
    paths = {
        "/events": {"get": {"summary": "Published upcoming events", "operationId": "listEvents",
                            "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
                                "type": "object", "properties": {"items": {"type": "array",
                                                                           "items": _ref("EventOut")}}}}}}}}},
        "/events/{event_id}": {
            "parameters": [EVENT_ID],
            "get": {"summary": "One event", "operationId": "getEvent",
                    "responses": {"200": _json("EventOut"), **_errors(404)}},
            "patch": {"summary": "Edit an event", "operationId": "patchEvent", "security": BEARER,
                      "requestBody": body("EventPatch"),
                      "responses": {"200": _json("EventOut"), **_errors(401, 403, 404, 409, 422)}},
        },
        "/events/{event_id}/public-key": {
            "parameters": [EVENT_ID],
            "get": {"summary": "The Ed25519 key that verifies this event's ticket codes",
                    "operationId": "getPublicKey", "responses": {"200": _json("PublicKey"), **_errors(404)}},
        },
        "/events/{event_id}/registrations": {
            "parameters": [EVENT_ID],
            "get": {"summary": "Registrations (search and filter)", "operationId": "listRegistrations",
                    "security": BEARER,
                    "parameters": [
                        {"name": n, "in": "query", "required": False, "schema": {"type": t}}
                        for n, t in (("q", "string"), ("mode", "string"), ("status", "string"),
                                     ("country", "string"), ("limit", "integer"), ("offset", "integer"))],
                    "responses": {"200": _json("RegistrationPage"), **_errors(401, 403, 404)}},
            "post": {"summary": "Register a person (public, or as the organizer with a token)",
                     "operationId": "createRegistration", "security": [{}, {"bearerAuth": []}],
                     "requestBody": body("RegistrationIn"),
                     "responses": {"201": _json("RegistrationOut", "Registered (confirmed or waitlisted)"),
                                   **_errors(404, 409, 422, 429)}},
        },
        "/events/{event_id}/registrations/{registration_id}": {
            "parameters": [EVENT_ID, REG_ID],
            "get": {"summary": "One registration", "operationId": "getRegistration", "security": BEARER,
                    "responses": {"200": _json("RegistrationOut"), **_errors(401, 403, 404)}},
        },
        "/events/{event_id}/registrations/{registration_id}/cancel": {
            "parameters": [EVENT_ID, REG_ID],
            "post": {"summary": "Cancel; the next person waiting is promoted", "operationId": "cancelRegistration",
                     "security": BEARER, "responses": {"200": _json("RegistrationOut"), **_errors(401, 403, 404, 409)}},
        },
        "/events/{event_id}/registrations/{registration_id}/revoke-ticket": {
            "parameters": [EVENT_ID, REG_ID],
            "post": {"summary": "Revoke the ticket in force", "operationId": "revokeTicket", "security": BEARER,
                     "responses": {"200": _json("RegistrationOut"), **_errors(401, 403, 404, 409)}},
        },
        **checkin_openapi.paths(_ref, _json, _errors, EVENT_ID, BEARER),
        **schedule_openapi.paths(_ref, _json, _errors, EVENT_ID, BEARER),
        **floor_openapi.paths(_ref, _json, _errors, EVENT_ID, BEARER),
        **report_openapi.paths(_ref, _json, _errors, EVENT_ID, BEARER),
        "/openapi.json": {"get": {"summary": "This document", "operationId": "getOpenApi", "responses": {"200": {
            "description": "The OpenAPI 3.1 document",
            "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/tickets/{code}": {
            "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {"summary": "Status of a ticket", "operationId": "getTicket",
                    "responses": {"200": _json("TicketStatus"), **_errors(404, 429)}},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "EventHub API", "version": "1.0.0",
                 "description": "Events, registrations and tickets. Errors are "
                                "`{\"error\": {\"code\", \"message\", \"fields\"}}`."},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "An API token an organizer creates for one event."}},
        },
    }
