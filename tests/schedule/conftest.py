"""Schedule fixtures: the round table on 14 March 2027 in Bamako (the US switches to daylight time that night)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine

# 14 March 2027: 02:00 PST → 03:00 PDT in San Francisco (10:00 UTC). Bamako stays UTC+0 all day.
DAY_START = datetime(2027, 3, 14, 8, 0, tzinfo=UTC)
DAY_END = datetime(2027, 3, 14, 18, 0, tzinfo=UTC)


def utc(hh: int, mm: int = 0, day: int = 14) -> datetime:
    return datetime(2027, 3, day, hh, mm, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _a_fortnight_before_the_day() -> Iterator[None]:
    """The round table keeps its date (the night the US changes clocks), so the tests' clock is set relative to
    it: two weeks before, ticking. They no longer depend on today's date (they broke after 14 March 2027).
    A test that travels elsewhere (`time_machine.travel`) still does."""
    with time_machine.travel(DAY_START - timedelta(days=14), tick=True):
        yield


@pytest.fixture
def organizer(make_user):
    return make_user("organisation@mda.ml", "Coordination MDA")


@pytest.fixture
def event(make_event, organizer):
    return make_event(organizer=organizer, title="Table ronde Algérie–Mali", starts_at=DAY_START, ends_at=DAY_END)


@pytest.fixture
def world(ctx, event, organizer, make_user):
    """Two rooms, a moderator, panelists in the room, in Algiers and in San Francisco."""
    from eventhub.auth.models import Role
    from eventhub.auth.services import grant_role
    from eventhub.core.db import commit
    from eventhub.schedule import panelists as pan
    from eventhub.schedule import services

    hall = services.create_room(event, services.RoomData(name="Salle principale", capacity=100, has_stream=True))
    side = services.create_room(event, services.RoomData(name="Salle 2", capacity=40))
    moderator = make_user("moderation@mda.ml", "Modérateur")
    grant_role(event, moderator, Role.MODERATOR)
    bamako = pan.create_panelist(event, pan.PanelistData(
        name="Aïssata Diallo", title="Ministre de l'économie numérique", country="ML", email="aissata@example.ml"))
    algiers = pan.create_panelist(event, pan.PanelistData(
        name="Yacine Boudiaf", title="Ministre", country="DZ", mode="remote", timezone="Africa/Algiers",
        email="yacine@example.dz"))
    sf = pan.create_panelist(event, pan.PanelistData(
        name="Jordan Lee", title="Partner", country="US", mode="remote", timezone="America/Los_Angeles",
        email="jordan@example.com"))
    commit()
    return SimpleNamespace(event=event, organizer=organizer, hall=hall, side=side, moderator=moderator, bamako=bamako,
                           algiers=algiers, sf=sf)


@pytest.fixture
def make_session(world):
    from eventhub.core.db import commit
    from eventhub.schedule import services

    def make(title="Session 1", start=utc(10), end=utc(11), room=None, panelists=(), moderators=(), **kw):
        session = services.create_session(world.event, services.SessionData(
            title=title, starts_at=start, ends_at=end, room_id=(room or world.hall).id,
            panelists=[(p.id, None) for p in panelists], moderator_ids=[m.id for m in moderators], **kw))
        commit()
        return session

    return make
