"""Shared Q&A fixtures: an event with a published panel session, a moderator, a panelist and two ticket holders."""

from __future__ import annotations

from types import SimpleNamespace

import pytest


@pytest.fixture
def qa(ctx, make_event, make_user):
    from eventhub.auth.models import Role
    from eventhub.auth.services import grant_role
    from eventhub.core.db import commit
    from eventhub.registration import services as reg
    from eventhub.registration.models import AttendanceMode
    from eventhub.schedule import panelists as pan
    from tests.helpers import round_table_sessions, ticket_holders

    organizer = make_user(email="organizer@example.org", name="Organisatrice")
    moderator = make_user(email="moderator@example.org", name="Modérateur")
    outsider = make_user(email="outsider@example.org", name="Quelqu'un")
    event = make_event(organizer=organizer)
    grant_role(event, moderator, Role.MODERATOR)
    panelist = pan.create_panelist(event, pan.PanelistData(name="Nadia Hamidi", email="nadia@example.dz",
                                                           mode="remote", timezone="Africa/Algiers"))
    session, other = round_table_sessions(event, panelist_ids=[panelist.id])
    tickets = ticket_holders(event, AttendanceMode.IN_PERSON)
    commit()
    other_event = make_event(title="Mali Startup Connect")
    result = reg.register(other_event, reg.RegistrationData(name="Other", email="other@example.org", country="ML",
                                                            mode=AttendanceMode.REMOTE, consent=True))
    commit()
    from eventhub.extensions import db

    # Loaded now, so they stay readable once a socket handler (same app context) has ended the DB session.
    for obj in (event, session, other, organizer, moderator, outsider, panelist, other_event, result.registration):
        db.session.refresh(obj)
    return SimpleNamespace(event=event, session=session, other_session=other, organizer=organizer,
                           moderator=moderator, outsider=outsider, panelist=panelist,
                           panelist_token=pan.make_link_token(panelist), ticket=tickets[0], ticket2=tickets[1],
                           other_ticket=result.registration.ticket.code, other_event=other_event)
