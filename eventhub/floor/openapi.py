"""The floor's part of the OpenAPI document (paths and component models), merged by eventhub.api.openapi."""

from __future__ import annotations

from collections.abc import Callable

from eventhub.floor import schemas

MODELS = schemas.MODELS


def paths(ref: Callable, json: Callable, errors: Callable, event_id: dict, bearer: list) -> dict:
    session_id = {"name": "session_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        "/events/{event_id}/speaking-times": {
            "parameters": [event_id],
            "get": {"summary": "Speaking times of the event: every speech, totals per speaker and per delegation",
                    "operationId": "getEventSpeakingTimes", "security": bearer,
                    "responses": {"200": json("EventSpeakingTotals"), **errors(401, 403, 404)}},
        },
        "/events/{event_id}/sessions/{session_id}/speaking-times": {
            "parameters": [event_id, session_id],
            "get": {"summary": "Speaking times of one session (open speeches count so far)",
                    "operationId": "getSessionSpeakingTimes", "security": bearer,
                    "responses": {"200": json("SessionSpeakingTotals"), **errors(401, 403, 404)}},
        },
    }
