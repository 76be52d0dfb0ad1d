"""What the stage seeds share (tests.e2e.seed_stage_screen, tests.e2e.seed_stage_pages): an event of their own,
under way at the CICB, with its organizer, a moderator who signs in, and the conference room."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from eventhub.auth.models import Role, User
from eventhub.auth.services import create_user, grant_role
from eventhub.events.models import Event
from eventhub.events.services import EventData, create_event, publish_event
from eventhub.schedule import services as schedule
from eventhub.schedule.models import Room


@dataclass
class Hall:
    organizer: User
    moderator: User
    event: Event
    room: Room
    starts: datetime


def hall(stamp: str, *, prefix: str, moderator_name: str, password: str, started_minutes_ago: int) -> Hall:
    organizer = create_user(f"{prefix}-org{stamp}@example.org", "Organisation", f"{password} (organizer)")
    moderator = create_user(f"{prefix}-mod{stamp}@example.org", moderator_name, password)
    starts = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=started_minutes_ago)
    event = create_event(EventData(title=f"Table ronde Algérie–Mali {stamp}", starts_at=starts,
                                   ends_at=starts + timedelta(hours=8), timezone="Africa/Bamako", capacity=80,
                                   remote_enabled=True), by=organizer)
    publish_event(event)
    grant_role(event, moderator, Role.MODERATOR)
    room = schedule.create_room(event, schedule.RoomData(name="Salle des conférences, CICB", capacity=80))
    return Hall(organizer, moderator, event, room, starts)
