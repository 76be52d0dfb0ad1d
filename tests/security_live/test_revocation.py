"""A credential that dies ends its live connections (item 9): at once through the registration signals, and by
the sweep (the backstop) when the database changed some other way; on every live namespace."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import update

from eventhub.core import revocations
from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.registration import services as reg
from eventhub.registration.models import Registration, Ticket
from tests.security_live.sockets import NS, call, code


def _registration(code_: str) -> Registration:
    return reg.find_ticket(code_).registration


def _wait_disconnected(client, namespace: str = NS, timeout: float = 5.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while client.is_connected(namespace):
        assert time.monotonic() < deadline, "still connected"
        time.sleep(0.02)


@pytest.mark.parametrize("how", ["revoke", "reissue", "cancel"])
def test_revoking_or_cancelling_cuts_the_qa_connection_at_once(qa, connect, how):
    aminata, karim = connect({"ticket": qa.ticket}), connect({"ticket": qa.ticket2})
    for c in (aminata, karim):
        assert call(c, "join", {"session_id": qa.session.id})["ok"] is True
    registration = _registration(qa.ticket)
    {"revoke": reg.revoke_ticket, "reissue": reg.reissue_ticket, "cancel": reg.cancel_registration}[how](registration)
    assert aminata.is_connected(NS)  # nothing happens before the commit
    commit()
    assert not aminata.is_connected(NS)  # the commit callback disconnected it, no sweep involved
    assert karim.is_connected(NS)
    assert call(karim, "ask", {"session_id": qa.session.id, "text": "Encore là"})["ok"] is True


def test_reconnecting_with_the_dead_ticket_is_refused_with_its_reason(qa, connect):
    reg.revoke_ticket(_registration(qa.ticket))
    commit()
    again = connect({"ticket": qa.ticket})
    assert not again.is_connected(NS)
    reg.cancel_registration(_registration(qa.ticket2))
    commit()
    assert not connect({"ticket": qa.ticket2}).is_connected(NS)


def test_refusal_codes_for_dead_tickets(qa):
    from eventhub.qa import participants as pt

    reg.revoke_ticket(_registration(qa.ticket))
    reg.cancel_registration(_registration(qa.ticket2))
    commit()
    assert pt.check_ticket(qa.ticket) == (None, "ticket_revoked")
    assert pt.check_ticket(qa.ticket2) == (None, "registration_cancelled")
    assert pt.check_ticket("EH1.garbage") == (None, "invalid_ticket")


def test_the_sweep_cuts_a_ticket_revoked_behind_the_apps_back(app, qa, connect):
    aminata, karim = connect({"ticket": qa.ticket}), connect({"ticket": qa.ticket2})
    ticket_id = reg.find_ticket(qa.ticket).id
    db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(revoked_at=db.func.now()))
    commit()  # no signal: as another process or a SQL console would
    assert aminata.is_connected(NS)
    revocations.run_sweepers(app)
    assert not aminata.is_connected(NS)
    assert karim.is_connected(NS)
    assert code(call(karim, "join", {"session_id": qa.session.id})) is None


def test_an_announcement_from_another_process_cuts_the_connection_here(app, qa, connect):
    """What the Redis listener does with a message published by the process that revoked the ticket."""
    aminata = connect({"ticket": qa.ticket})
    registration_id = _registration(qa.ticket).id
    with app.app_context():
        revocations.dispatch("registration", registration_id)
    assert not aminata.is_connected(NS)


# --- the same class of fault on the other live namespaces ---------------------------------------------------

def _signed_in(app, user):  # noqa: ANN001, ANN202
    http = app.test_client()
    assert http.post("/login", data={"email": user.email, "password": "correct horse battery"}).status_code == 302
    return http


def test_door_staff_whose_role_is_removed_stop_receiving_counters(app, qa, connect):
    from eventhub.auth.models import Role
    from eventhub.auth.services import grant_role, revoke_role

    grant_role(qa.event, qa.outsider, Role.DOOR_STAFF)
    commit()
    staff = connect({"event_id": qa.event.id}, http=_signed_in(app, qa.outsider), namespace="/checkin")
    organizer = connect({"event_id": qa.event.id}, http=_signed_in(app, qa.organizer), namespace="/checkin")
    assert staff.is_connected("/checkin") and organizer.is_connected("/checkin")
    revocations.run_sweepers(app)
    assert staff.is_connected("/checkin")  # nothing changed yet
    revoke_role(db.session.merge(qa.event), db.session.merge(qa.outsider), Role.DOOR_STAFF)
    commit()
    revocations.run_sweepers(app)
    assert not staff.is_connected("/checkin")
    assert organizer.is_connected("/checkin")


def test_green_room_panelist_link_renewed_and_moderator_removed_are_cut_off(app, qa, connect):
    from eventhub.auth.models import Role
    from eventhub.auth.services import revoke_role
    from eventhub.schedule import panelists as pan

    panelist = connect({"token": qa.panelist_token}, namespace="/greenroom")
    watcher = connect(http=_signed_in(app, qa.moderator), namespace="/greenroom")
    assert call(watcher, "watch", {"event_id": qa.event.id}, namespace="/greenroom")["ok"] is True
    qa_panelist = connect({"panelist_token": qa.panelist_token})  # the same link on the Q&A
    revocations.run_sweepers(app)
    assert panelist.is_connected("/greenroom") and watcher.is_connected("/greenroom")
    pan.revoke_links(db.session.merge(qa.panelist))
    revoke_role(db.session.merge(qa.event), db.session.merge(qa.moderator), Role.MODERATOR)
    commit()
    revocations.run_sweepers(app)
    assert not panelist.is_connected("/greenroom")
    assert not watcher.is_connected("/greenroom")
    assert not qa_panelist.is_connected(NS)
