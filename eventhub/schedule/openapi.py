"""The schedule's part of the OpenAPI document (paths and component models), merged by eventhub.api.openapi."""

from __future__ import annotations

from collections.abc import Callable

from eventhub.schedule import schemas

MODELS = schemas.MODELS


def paths(ref: Callable, json: Callable, errors: Callable, event_id: dict, bearer: list) -> dict:
    def body(name: str) -> dict:
        return {"required": True, "content": {"application/json": {"schema": ref(name)}}}

    room_id = {"name": "room_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    session_id = {"name": "session_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    public_or_token: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]
    deleted = {"204": {"description": "Deleted"}}
    return {
        "/events/{event_id}/rooms": {
            "parameters": [event_id],
            "get": {"summary": "Rooms (public once the schedule is published; the event's token sees them always)",
                    "operationId": "listRooms", "security": public_or_token,
                    "responses": {"200": json("RoomList"), **errors(404)}},
            "post": {"summary": "Add a room", "operationId": "createRoom", "security": bearer,
                     "requestBody": body("RoomIn"),
                     "responses": {"201": json("RoomOut", "Created"), **errors(401, 403, 404, 422)}},
        },
        "/events/{event_id}/rooms/{room_id}": {
            "parameters": [event_id, room_id],
            "patch": {"summary": "Edit a room", "operationId": "patchRoom", "security": bearer,
                      "requestBody": body("RoomPatch"),
                      "responses": {"200": json("RoomOut"), **errors(401, 403, 404, 422)}},
            "delete": {"summary": "Delete a room without sessions", "operationId": "deleteRoom", "security": bearer,
                       "responses": {**deleted, **errors(401, 403, 404, 409)}},
        },
        "/events/{event_id}/sessions": {
            "parameters": [event_id],
            "get": {"summary": "Sessions (published ones; the event's token also sees drafts)",
                    "operationId": "listSessions", "security": public_or_token,
                    "responses": {"200": json("AgendaSessionList"), **errors(404)}},
            "post": {"summary": "Add a session (refused on a room or person clash, outside the event, end ≤ start)",
                     "operationId": "createSession", "security": bearer, "requestBody": body("AgendaSessionIn"),
                     "responses": {"201": json("AgendaSessionOut", "Created"), **errors(401, 403, 404, 409, 422)}},
        },
        "/events/{event_id}/sessions/{session_id}": {
            "parameters": [event_id, session_id],
            "get": {"summary": "One session", "operationId": "getSession", "security": public_or_token,
                    "responses": {"200": json("AgendaSessionOut"), **errors(404)}},
            "patch": {"summary": "Edit, move or cancel a session; published sessions show as changed and their "
                                 "panelists are emailed", "operationId": "patchSession", "security": bearer,
                      "requestBody": body("AgendaSessionPatch"),
                      "responses": {"200": json("AgendaSessionOut"), **errors(401, 403, 404, 409, 422)}},
            "delete": {"summary": "Delete a draft session (published ones are cancelled instead)",
                       "operationId": "deleteSession", "security": bearer,
                       "responses": {**deleted, **errors(401, 403, 404, 409)}},
        },
    }
