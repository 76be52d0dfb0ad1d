"""Floor fixtures: the round table's session in Bamako, a Malian panelist in the room, an Algerian one remote,
a moderator, an organizer, an outsider, two ticket holders and the Mali / Algeria delegations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from types import SimpleNamespace

import pytest

from eventhub.auth.models import Role
from eventhub.auth.services import grant_role
from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.floor import services
from eventhub.registration.models import AttendanceMode
from eventhub.schedule import panelists as pan
from eventhub.signals import speech_ended, speech_started
from tests.floor.sockets import NS, join, signed_in
from tests.helpers import round_table_sessions, ticket_holders

T0 = datetime(2027, 3, 14, 10, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def floor(ctx, make_event, make_user):

    organizer = make_user(email="organizer@example.org", name="Organisatrice")
    moderator = make_user(email="moderator@example.org", name="Modérateur")
    moderator2 = make_user(email="moderator2@example.org", name="Modératrice")
    outsider = make_user(email="outsider@example.org", name="Quelqu'un")
    event = make_event(organizer=organizer, title="Table ronde Algérie–Mali")
    other_event = make_event(organizer=outsider, title="Forum de Dakar")
    grant_role(event, moderator, Role.MODERATOR)
    grant_role(event, moderator2, Role.MODERATOR)
    mali = pan.create_panelist(event, pan.PanelistData(name="Aïssata Diallo", country="ML", email="a@example.ml"))
    algeria = pan.create_panelist(event, pan.PanelistData(name="Yacine Boudiaf", country="DZ", mode="remote",
                                                          timezone="Africa/Algiers", email="y@example.dz"))
    session, other = round_table_sessions(event, panelist_ids=[mali.id, algeria.id], moderator_ids=[moderator.id])
    tickets = ticket_holders(event, AttendanceMode.REMOTE)
    ml = services.set_delegation(session, by=moderator, name="Mali", country="ML", budget_seconds=600)
    dz = services.set_delegation(session, by=moderator, name="Algérie", country="DZ", budget_seconds=600)
    commit()
    for obj in (event, other_event, organizer, moderator, moderator2, outsider, mali, algeria, session, other, ml, dz):
        db.session.refresh(obj)  # loaded: still readable once a socket event ends the session (detached)
    return SimpleNamespace(event=event, other_event=other_event, organizer=organizer, moderator=moderator,
                           moderator2=moderator2, outsider=outsider, mali=mali, algeria=algeria, session=session,
                           other=other, tickets=tickets, ml=ml, dz=dz)


@pytest.fixture
def connect(socket_clients):
    """`connect(auth=None, http=None)`: a /floor test client (tests/socket_clients.py)."""
    return partial(socket_clients, NS)


@pytest.fixture
def mod(app, floor, connect):
    """The session's moderator, signed in and joined."""
    client = connect(http=signed_in(app, floor.moderator))
    data = join(client, floor.session.id)
    assert data["moderator"] is True
    return client


@pytest.fixture
def signals_seen():
    """Every speech_started / speech_ended sent during the test, as (name, speech id, kwargs)."""

    seen: list[tuple[str, int, dict]] = []

    def started(sender, **kw):
        seen.append(("started", sender.id, kw))

    def ended(sender, **kw):
        seen.append(("ended", sender.id, kw))

    speech_started.connect(started)
    speech_ended.connect(ended)
    yield seen
    speech_started.disconnect(started)
    speech_ended.disconnect(ended)
