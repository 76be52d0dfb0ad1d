"""Issue 9 items 8 and 14: PATCH of panelists without `mode`; every representation of a dead ticket is 410."""

from __future__ import annotations

import pytest
from icalendar import Calendar

from eventhub.core.db import commit
from eventhub.registration import services as reg_services
from eventhub.registration.services import find_ticket
from eventhub.schedule import panelists as pan
from eventhub.schedule import services as schedule_services
from tests.conftest import registration_form

API = "/api/v1"


def test_patch_panelists_without_mode_uses_the_panelists_own(client, make_event, organizer, token, event):
    room = schedule_services.create_room(event, schedule_services.RoomData(name="Salle principale", capacity=100))
    remote = pan.create_panelist(event, pan.PanelistData(name="Yacine Boudiaf", title="Ministre", country="DZ",
                                                          mode="remote", timezone="Africa/Algiers"))
    session = schedule_services.create_session(event, schedule_services.SessionData(
        title="Ouverture", starts_at=event.starts_at, ends_at=event.starts_at + (event.ends_at - event.starts_at) / 5,
        room_id=room.id, panelists=[]))
    commit()
    response = client.patch(f"{API}/events/{event.id}/sessions/{session.id}",
                            headers={"Authorization": f"Bearer {token}"},
                            json={"panelists": [{"panelist_id": remote.id}]})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.get_json()["panelists"][0]["panelist_id"] == remote.id
    assert response.get_json()["panelists"][0]["mode"] == "remote"
    both = client.patch(f"{API}/events/{event.id}/sessions/{session.id}",
                        headers={"Authorization": f"Bearer {token}"},
                        json={"panelists": [{"panelist_id": remote.id, "mode": "on_stage"}]})
    assert both.status_code == 200 and both.get_json()["panelists"][0]["mode"] == "on_stage"


def _register(client, event, email: str) -> str:
    response = client.post(f"/e/{event.slug}/register", data=registration_form(email=email))
    assert response.status_code == 302
    return response.headers["Location"].split("/t/")[1].split("?")[0]


def _registration(code: str):
    return find_ticket(code).registration


@pytest.mark.parametrize("how", ["revoked", "cancelled", "reissued"])
def test_every_representation_of_a_dead_ticket_is_gone(client, event, how):
    code = _register(client, event, f"{how}@example.org")
    for suffix in ("", ".png", ".ics"):
        assert client.get(f"/t/{code}{suffix}").status_code == 200
    assert Calendar.from_ical(client.get(f"/t/{code}.ics").data)
    registration = _registration(code)
    {"revoked": reg_services.revoke_ticket, "cancelled": reg_services.cancel_registration,
     "reissued": reg_services.reissue_ticket}[how](registration)
    commit()
    for suffix in ("", ".png", ".ics"):
        response = client.get(f"/t/{code}{suffix}")
        assert response.status_code == 410, (suffix, response.status_code)
        assert b"BEGIN:VCALENDAR" not in response.data
    assert client.post(f"/t/{code}/cancel").status_code == 410
