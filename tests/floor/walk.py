"""Builders for the floor's rows of the role walk (tests/auth/test_access_by_role.py)."""

from __future__ import annotations

from typing import Any

from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.floor import channels
from eventhub.schedule.models import AgendaSession
from tests.schedule import walk as sw


def interpreter_token(w: Any) -> str:
    cached = getattr(w, "_floor_token", None)
    if cached is not None:
        return cached

    session = db.session.get(AgendaSession, sw.sched(w).session_id)
    channel = channels.add_channel(session, by=w.users["organizer"], language="ar", interpreter_name="Leïla")
    commit()
    w._floor_token = channels.make_link_token(channel)
    return w._floor_token
