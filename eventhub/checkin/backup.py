"""Backup codes at the door: 8 characters door staff type when a phone screen is cracked.

Online only (this endpoint; the offline scanner holds no backup codes), for the event of the scanner, rate-limited
per scanner account, and logged like any scan: the code is resolved to its ticket and goes through the one
check-in service, so the scan log, the counters and the refusals (revoked, waitlisted, wrong event…) are the same.
"""

from __future__ import annotations

import time

from flask import Blueprint, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from pydantic import Field

from eventhub.auth.models import User
from eventhub.auth.permissions import event_role_required
from eventhub.checkin import services
from eventhub.checkin.models import CheckInPoint
from eventhub.checkin.routes import SCANNER_ROLES, timed
from eventhub.checkin.schemas import Id, Strict
from eventhub.core.body import parse_body
from eventhub.core.errors import ValidationFailed
from eventhub.core.errors_web import json_view
from eventhub.extensions import limiter
from eventhub.registration import services as reg_services
from eventhub.tickets import codes

bp = Blueprint("checkin_backup", __name__)

# Guessing: 31^8 ≈ 8.5e11 codes; 10 tries a minute per scanner account (and 30 per address) make it hopeless.
RATE = "10 per minute"


class BackupCodeIn(Strict):
    code: str = Field(max_length=32, description="The 8-character backup code, dashes and spaces allowed.")
    point_id: Id
    nonce: str | None = Field(None, max_length=64)


def check_in_backup_code(text: str, *, by: User | None, point: CheckInPoint,
                         nonce: str | None = None) -> services.CheckInResult:
    """Check in the ticket whose backup code is `text` at `point`. A malformed code is a 422 (`invalid_backup_code`,
    nothing logged: it cannot be anyone's); a well-formed one is always logged, with the check-in's result."""
    canonical = codes.normalise_backup_code(text)
    if canonical is None:
        message = _l("A backup code has 8 characters (letters and digits, no 0, 1, I, L or O).")
        raise ValidationFailed("invalid_backup_code", message, fields={"code": [str(message)]})
    ticket = reg_services.find_ticket_by_backup_code(canonical)
    # Unknown codes go through the same service so the attempt is logged (answered `unreadable`).
    return services.check_in(ticket.code if ticket is not None else canonical, by=by, point=point, nonce=nonce)


def _scanner_key() -> str:
    return f"backup:{getattr(current_user, 'id', 'anon')}"


@bp.post("/checkin/events/<int:event_id>/backup-code")
@limiter.limit(RATE, key_func=_scanner_key)
@limiter.limit("30 per minute")
@event_role_required(*SCANNER_ROLES)
@json_view
def backup_code(event_id: int):
    started = time.perf_counter()
    body = parse_body(BackupCodeIn)
    point = services.get_point(g.event, body.point_id)
    result = check_in_backup_code(body.code, by=current_user, point=point, nonce=body.nonce)
    return timed(result.to_dict(), started)
