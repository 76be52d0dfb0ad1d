"""Stage fixtures: the round table's opening with a remote minister, its moderator, a moderator of another session,
ticket holders (one revoked), another event's panelist; and a real local Janus (API only, on 127.0.0.1) for the
tests that need one (the media area's session fixture `janus_setup`: one Janus for both areas' tests; skipped with a
visible reason when Janus is not installed)."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from types import SimpleNamespace

import pytest

from eventhub.auth.models import Role
from eventhub.auth.services import grant_role
from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.registration import services as reg
from eventhub.registration.models import AttendanceMode
from eventhub.schedule import panelists as pan
from eventhub.schedule import services as sched
from eventhub.stage import services as svc
from eventhub.stage.models import StageRole, StageState


@pytest.fixture
def world(ctx, make_event, make_user):
    organizer = make_user(email="organizer@example.org", name="Organisatrice")
    moderator = make_user(email="moderator@example.org", name="Modérateur")
    other_moderator = make_user(email="other-mod@example.org", name="Autre modérateur")
    outsider = make_user(email="outsider@example.org", name="Quelqu'un")
    event = make_event(organizer=organizer)
    grant_role(event, moderator, Role.MODERATOR)
    grant_role(event, other_moderator, Role.MODERATOR)
    minister = pan.create_panelist(event, pan.PanelistData(
        name="Yacine Boudiaf", title="Ministre", country="DZ", email="yacine@example.dz", mode="remote",
        timezone="Africa/Algiers"))
    local = pan.create_panelist(event, pan.PanelistData(name="Aïssata Diallo", country="ML"))
    offpanel = pan.create_panelist(event, pan.PanelistData(name="Pas sur ce panel", mode="remote"))
    session = sched.create_session(event, sched.SessionData(
        title="Ouverture", starts_at=event.starts_at, ends_at=event.starts_at + timedelta(hours=1), kind="opening",
        panelists=[(minister.id, None), (local.id, None)], moderator_ids=[moderator.id]))
    other = sched.create_session(event, sched.SessionData(
        title="Session 2", starts_at=event.starts_at + timedelta(hours=2),
        ends_at=event.starts_at + timedelta(hours=3), kind="panel", moderator_ids=[other_moderator.id],
        panelists=[(offpanel.id, None)]))
    sched.publish_schedule(event)
    tickets = {}
    for key, mode in (("remote", AttendanceMode.REMOTE), ("room", AttendanceMode.IN_PERSON),
                      ("revoked", AttendanceMode.REMOTE)):
        result = reg.register(event, reg.RegistrationData(name=f"Attendee {key}", email=f"{key}@example.org",
                                                          country="ML", mode=mode, consent=True))
        tickets[key] = result.registration.ticket.code
        if key == "revoked":
            revoked_registration = result.registration
    commit()
    reg.revoke_ticket(revoked_registration)
    other_event = make_event(title="Mali Startup Connect")
    foreign = pan.create_panelist(other_event, pan.PanelistData(name="Foreign", mode="remote"))
    commit()
    for obj in (event, session, other, organizer, moderator, other_moderator, outsider, minister, local, offpanel,
                other_event, foreign):
        db.session.refresh(obj)
    return SimpleNamespace(
        event=event, session=session, other_session=other, organizer=organizer, moderator=moderator,
        other_moderator=other_moderator, outsider=outsider, minister=minister, local=local, offpanel=offpanel,
        minister_link=pan.make_link_token(minister), offpanel_link=pan.make_link_token(offpanel),
        foreign_link=pan.make_link_token(foreign), tickets=tickets, other_event=other_event)


@pytest.fixture
def open_stage(world, media):
    """The opening's stage, open in the real Janus."""
    stage = svc.open_stage(svc.get_stage(world.session), by=world.organizer, media=media)
    commit()
    yield stage
    if stage.state.value in ("open", "live"):
        with contextlib.suppress(Exception):  # best effort: the room dies with the fixture's Janus anyway
            media.destroy_room(stage.janus_server, stage.janus_room_id, stage.room_secret)


@pytest.fixture
def stage(world):
    """An open stage written directly (no Janus): enough for everything that does not call Janus."""
    s = svc.get_stage(world.session)
    s.state, s.janus_server, s.janus_room_id, s.room_secret = StageState.OPEN, "none", 4242, "room-secret"
    commit()
    svc.ensure_participant(s, StageRole.ROOM_FEED)
    svc.ensure_participant(s, StageRole.PANELIST, world.minister)
    commit()
    db.session.refresh(s)
    return s
