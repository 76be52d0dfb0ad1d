"""Rooms of an event: named once per event, in a fixed order, never deleted while a session is planned there."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from eventhub.core.errors import Conflict, NotFound, ValidationFailed
from eventhub.core.text import one_line as clean
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.schedule.common import ROOM_NAME_MAX, get_by_id
from eventhub.schedule.models import AgendaSession, Room


@dataclass
class RoomData:
    name: str
    capacity: int | None = None
    has_stream: bool = False


def _validate_room(event: Event, data: RoomData, room: Room | None = None) -> str:
    errors: dict[str, list[str]] = {}
    name = clean(data.name)
    if not name:
        errors["name"] = [str(_l("A name is required."))]
    elif len(name) > ROOM_NAME_MAX:
        errors["name"] = [str(_l("At most %(n)d characters.", n=ROOM_NAME_MAX))]
    if data.capacity is not None and not 0 <= data.capacity <= 1_000_000:
        errors["capacity"] = [str(_l("Enter a number between 0 and 1,000,000."))]
    if not errors:
        clash = db.session.scalar(db.select(Room.id).where(Room.event_id == event.id, Room.name == name))
        if clash and (room is None or clash != room.id):
            errors["name"] = [str(_l("This event already has a room with this name."))]
    if errors:
        raise ValidationFailed("invalid_room", _l("Please correct the errors below."), fields=errors)
    return name


def create_room(event: Event, data: RoomData) -> Room:
    name = _validate_room(event, data)
    position = db.session.scalar(db.select(db.func.count()).select_from(Room).where(Room.event_id == event.id))
    room = Room(event_id=event.id, name=name, capacity=data.capacity, has_stream=data.has_stream,
                position=int(position or 0))
    db.session.add(room)
    db.session.flush()
    return room


def update_room(room: Room, data: RoomData) -> Room:
    room.name = _validate_room(db.session.get_one(Event, room.event_id), data, room)
    room.capacity, room.has_stream = data.capacity, data.has_stream
    db.session.flush()
    return room


def delete_room(room: Room) -> None:
    used = db.session.scalar(db.select(AgendaSession.id).where(
        AgendaSession.room_id == room.id, AgendaSession.cancelled_at.is_(None)).limit(1))
    if used:
        raise Conflict("room_in_use", _l("Sessions are planned in this room: move or cancel them first."))
    db.session.delete(room)
    db.session.flush()


def rooms_of(event: Event) -> list[Room]:
    return list(db.session.scalars(db.select(Room).where(Room.event_id == event.id).order_by(Room.position, Room.id)))


def get_room(event: Event, room_id: int) -> Room:
    room = get_by_id(Room, room_id)
    if room is None or room.event_id != event.id:
        raise NotFound("room_not_found", _l("No such room in this event."))
    return room
