"""The check-in part of the OpenAPI document (merged by eventhub.api.openapi)."""

from __future__ import annotations

from collections.abc import Callable

from eventhub.checkin import schemas

MODELS = [schemas.ScanIn, schemas.SyncIn, schemas.ScanResultOut, schemas.SyncOut, schemas.ScanLogPage]


def paths(ref: Callable[[str], dict], json_: Callable[..., dict], errors: Callable[..., dict], event_id: dict,
          bearer: list) -> dict:
    def body(name: str) -> dict:
        return {"required": True, "content": {"application/json": {"schema": ref(name)}}}

    return {
        "/events/{event_id}/checkins": {
            "parameters": [event_id],
            "post": {"summary": "Scan a ticket at a check-in point (exactly once; a repeated nonce is a replay)",
                     "operationId": "scanTicket", "security": bearer, "requestBody": body("ScanIn"),
                     "responses": {"200": json_("ScanResultOut", "The scan's result (green, amber or red); "
                                                "refusals are results, not errors"),
                                   **errors(401, 403, 404, 409, 422)}},
        },
        "/events/{event_id}/checkins/sync": {
            "parameters": [event_id],
            "post": {"summary": "Upload scans made offline; each is recorded as it happened, idempotent per nonce",
                     "operationId": "syncOfflineScans", "security": bearer, "requestBody": body("SyncIn"),
                     "responses": {"200": json_("SyncOut"), **errors(401, 403, 404, 422)}},
        },
        "/events/{event_id}/checkins/log": {
            "parameters": [event_id],
            "get": {"summary": "Every scan, refused ones too, newest first", "operationId": "getCheckInLog",
                    "security": bearer,
                    "parameters": [{"name": n, "in": "query", "required": False, "schema": {"type": t}}
                                   for n, t in (("limit", "integer"), ("offset", "integer"),
                                                ("double_entry", "string"))],
                    "responses": {"200": json_("ScanLogPage"), **errors(401, 403, 404)}},
        },
    }
