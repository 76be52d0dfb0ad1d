"""Check-in in the JSON API v1 (bearer token of the event; CSRF does not apply)."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, g, request

from eventhub.auth.tokens import token_required
from eventhub.checkin import queries, schemas, services
from eventhub.checkin.routes import timed
from eventhub.core.apidoc import Query, operation, request_body
from eventhub.events import services as event_services

bp = Blueprint("checkin_api", __name__, url_prefix="/api/v1")


@bp.post("/events/<int:event_id>/checkins")
@operation("scanTicket", "Scan a ticket at a check-in point (exactly once; a repeated nonce is a replay)",
           body=schemas.ScanIn, responses={200: schemas.ScanResultOut}, errors=(401, 403, 404, 409, 422),
           descriptions={200: "The scan's result (green, amber or red); refusals are results, not errors"})
@token_required
def scan(event_id: int):
    started = time.perf_counter()
    body: schemas.ScanIn = request_body()
    _event, point = services.event_and_point(event_id, body.point_id)
    result = services.check_in(body.code, by=g.api_token.created_by, point=point, nonce=body.nonce,
                               device_id=body.device_id or f"token-{g.api_token.id}")
    return timed(result.to_dict(), started)


@bp.post("/events/<int:event_id>/checkins/sync")
@operation("syncOfflineScans", "Upload scans made offline; each is recorded as it happened, idempotent per nonce",
           body=schemas.SyncIn, responses={200: schemas.SyncOut}, errors=(401, 403, 404, 422))
@token_required
def sync(event_id: int):
    event = event_services.get_event(event_id)
    body: schemas.SyncIn = request_body()
    results = services.sync_offline(event, [services.OfflineScan(**s.model_dump()) for s in body.scans],
                                    by=g.api_token.created_by, **services.offline_limits(current_app.config))
    return {"results": results}


@bp.get("/events/<int:event_id>/checkins/log")
@operation("getCheckInLog", "Every scan, refused ones too, newest first", responses={200: schemas.ScanLogPage},
           errors=(401, 403, 404),
           query=(Query("limit", "integer"), Query("offset", "integer"), Query("double_entry", "string")))
@token_required
def log(event_id: int):
    event = event_services.get_event(event_id)
    limit = min(max(request.args.get("limit", 500, type=int) or 500, 1), 5000)
    offset = min(max(request.args.get("offset", 0, type=int) or 0, 0), services.MAX_ID)
    rows = queries.log(event, limit=limit, offset=offset,
                        double_only=request.args.get("double_entry") in ("1", "true"))
    return {"items": [queries.scan_out(s) for s in rows], "limit": limit, "offset": offset}
