"""Check-in in the JSON API v1 (bearer token of the event; CSRF does not apply)."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, g, request

from eventhub.auth.tokens import token_required
from eventhub.checkin import queries, schemas, services
from eventhub.checkin.routes import timed
from eventhub.core.body import parse_body
from eventhub.events import services as event_services

bp = Blueprint("checkin_api", __name__, url_prefix="/api/v1")


@bp.post("/events/<int:event_id>/checkins")
@token_required
def scan(event_id: int):
    started = time.perf_counter()
    event = event_services.get_event(event_id)
    body = parse_body(schemas.ScanIn)
    point = services.get_point(event, body.point_id)
    result = services.check_in(body.code, by=g.api_token.created_by, point=point, nonce=body.nonce,
                               device_id=body.device_id or f"token-{g.api_token.id}")
    return timed(result.to_dict(), started)


@bp.post("/events/<int:event_id>/checkins/sync")
@token_required
def sync(event_id: int):
    event = event_services.get_event(event_id)
    body = parse_body(schemas.SyncIn)
    results = services.sync_offline(event, [services.OfflineScan(**s.model_dump()) for s in body.scans],
                                    by=g.api_token.created_by, **services.offline_limits(current_app.config))
    return {"results": results}


@bp.get("/events/<int:event_id>/checkins/log")
@token_required
def log(event_id: int):
    event = event_services.get_event(event_id)
    limit = min(max(request.args.get("limit", 500, type=int) or 500, 1), 5000)
    offset = min(max(request.args.get("offset", 0, type=int) or 0, 0), services.MAX_ID)
    rows = queries.log(event, limit=limit, offset=offset,
                        double_only=request.args.get("double_entry") in ("1", "true"))
    return {"items": [queries.scan_out(s) for s in rows], "limit": limit, "offset": offset}
