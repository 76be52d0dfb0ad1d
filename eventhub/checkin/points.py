"""Check-in points and the event's door settings (split from services; re-exported there)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError

from eventhub.checkin.models import CheckInPoint, CheckInSettings, PointKind
from eventhub.core.errors import Conflict, NotFound, ValidationFailed, strip_control
from eventhub.core.ids import MAX_ID as MAX_ID  # re-exported through checkin.services
from eventhub.core.ids import valid_id as valid_id
from eventhub.core.types import utcnow
from eventhub.events.models import Event
from eventhub.extensions import db

# --- points and settings --------------------------------------------------------------------------------------

def settings_for(event: Event) -> CheckInSettings:
    settings = db.session.get(CheckInSettings, event.id)
    if settings is None:
        try:
            with db.session.begin_nested():
                settings = CheckInSettings(event_id=event.id, remote_upgrade=False)
                db.session.add(settings)
                db.session.flush()
        except IntegrityError:  # another request created it at the same moment
            settings = db.session.get_one(CheckInSettings, event.id)
    return settings


def remote_upgrade_allowed(event: Event) -> bool:
    """Read only (no row is created): the scan path must not write before its first real write."""
    return bool(db.session.scalar(
        db.select(CheckInSettings.remote_upgrade).where(CheckInSettings.event_id == event.id)))


def set_remote_upgrade(event: Event, allowed: bool) -> CheckInSettings:
    settings = settings_for(event)
    settings.remote_upgrade = bool(allowed)
    db.session.flush()
    return settings


def points_for(event: Event, *, include_archived: bool = False) -> list[CheckInPoint]:
    query = db.select(CheckInPoint).where(CheckInPoint.event_id == event.id).order_by(CheckInPoint.id)
    if not include_archived:
        query = query.where(CheckInPoint.archived_at.is_(None))
    return list(db.session.scalars(query))


def ensure_default_point(event: Event) -> list[CheckInPoint]:
    """Every event gets a main entrance the first time someone opens the scanner."""
    points = points_for(event)
    if not points:
        add_point(event, str(_l("Main entrance")))
        points = points_for(event)
    return points


def add_point(event: Event, name: str, *, kind: PointKind | str = PointKind.ENTRANCE,
              agenda_session_id: int | None = None, requires_entry: bool = False) -> CheckInPoint:
    clean = " ".join(strip_control(str(name or "")).split())
    if not clean or len(clean) > 100:
        raise ValidationFailed("invalid_point", _l("Give the check-in point a name (at most 100 characters)."),
                               fields={"name": [str(_l("Give the check-in point a name (at most 100 characters)."))]})
    try:
        kind = PointKind(kind)
    except ValueError:
        raise ValidationFailed("invalid_point", _l("Choose entrance or session room."),
                               fields={"kind": [str(_l("Choose entrance or session room."))]}) from None
    point = CheckInPoint(event_id=event.id, name=clean, kind=kind, agenda_session_id=agenda_session_id,
                         requires_entry=bool(requires_entry) and kind == PointKind.SESSION)
    db.session.add(point)
    db.session.flush()
    return point


def archive_point(point: CheckInPoint) -> None:
    point.archived_at = point.archived_at or utcnow()
    db.session.flush()


def get_point(event: Event, point_id: object) -> CheckInPoint:
    point = db.session.get(CheckInPoint, point_id) if valid_id(point_id) else None
    return _open(point if point is not None and point.event_id == event.id else None)


def event_and_point(event_id: int, point_id: object) -> tuple[Event, CheckInPoint]:
    """A scan's first read: the event and one of its open points, in one query (it was two)."""
    point_id = point_id if valid_id(point_id) else 0
    row = db.session.execute(
        select(Event, CheckInPoint).outerjoin(CheckInPoint, and_(CheckInPoint.event_id == Event.id,
                                                                 CheckInPoint.id == point_id))
        .where(Event.id == event_id)).first() if valid_id(event_id) else None
    if row is None:
        raise NotFound("event_not_found", _l("No such event."))
    return row[0], _open(row[1])


def _open(point: CheckInPoint | None) -> CheckInPoint:
    if point is None:
        raise NotFound("point_not_found", _l("No such check-in point for this event."))
    if point.archived_at is not None:
        raise Conflict("point_archived", _l("This check-in point is closed."))
    return point
