"""Builders for the schedule's rows of the role walk (tests/auth/test_access_by_role.py): objects made on first use."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any


def sched(w: Any) -> SimpleNamespace:
    """A room, a published session with a panelist, and the panelist's link, on the walk's event."""
    cached = getattr(w, "_schedule", None)
    if cached is not None:
        return cached
    from eventhub.core.db import commit
    from eventhub.schedule import panelists as pan
    from eventhub.schedule import services

    event = w.event
    room = services.create_room(event, services.RoomData(name="Salle principale", capacity=100, has_stream=True))
    panelist = pan.create_panelist(event, pan.PanelistData(name="Amine Alger", email="amine@example.dz",
                                                           mode="remote", timezone="Africa/Algiers"))
    session = services.create_session(event, services.SessionData(
        title="Ouverture", starts_at=event.starts_at, ends_at=event.starts_at + timedelta(minutes=30),
        room_id=room.id, kind="opening", panelists=[(panelist.id, None)]))
    services.publish_schedule(event)
    commit()
    w._schedule = SimpleNamespace(room_id=room.id, session_id=session.id, panelist_id=panelist.id,
                                  token=pan.make_link_token(panelist), slug=event.slug)
    return w._schedule


def new_room(w: Any) -> int:
    from eventhub.core.db import commit
    from eventhub.schedule import services

    room = services.create_room(w.event, services.RoomData(name=f"Salle {next(w.counter)}"))
    commit()
    return room.id


def new_draft_session(w: Any) -> int:
    from eventhub.core.db import commit
    from eventhub.schedule import services

    room_id = new_room(w)
    start = w.event.starts_at + timedelta(hours=1)
    session = services.create_session(w.event, services.SessionData(
        title=f"Atelier {next(w.counter)}", starts_at=start, ends_at=start + timedelta(minutes=30), room_id=room_id))
    commit()
    return session.id


def new_panelist(w: Any) -> int:
    from eventhub.core.db import commit
    from eventhub.schedule import panelists as pan

    n = next(w.counter)
    panelist = pan.create_panelist(w.event, pan.PanelistData(name=f"Panéliste {n}", email=f"p{n}@example.org"))
    commit()
    return panelist.id


def session_body(w: Any) -> dict:
    start = w.event.starts_at + timedelta(hours=2)
    return {"title": f"API {next(w.counter)}", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(minutes=20)).isoformat(), "room_id": new_room(w)}
