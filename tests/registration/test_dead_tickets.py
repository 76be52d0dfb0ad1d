"""A ticket that was revoked, cancelled or re-issued is gone in every representation: its page, QR image and
calendar entry answer 410, and it can no longer be cancelled."""

from __future__ import annotations

import pytest
from icalendar import Calendar

from eventhub.core.db import commit
from eventhub.registration import services as reg_services
from eventhub.registration.services import find_ticket
from tests.conftest import registration_form


def _register(client, event, email: str) -> str:
    response = client.post(f"/e/{event.slug}/register", data=registration_form(email=email))
    assert response.status_code == 302
    return response.headers["Location"].split("/t/")[1].split("?")[0]


@pytest.mark.parametrize("how", ["revoked", "cancelled", "reissued"])
def test_every_representation_of_a_dead_ticket_is_gone(client, make_event, how):
    event = make_event()
    code = _register(client, event, f"{how}@example.org")
    for suffix in ("", ".png", ".ics"):
        assert client.get(f"/t/{code}{suffix}").status_code == 200
    assert Calendar.from_ical(client.get(f"/t/{code}.ics").data)
    registration = find_ticket(code).registration
    {"revoked": reg_services.revoke_ticket, "cancelled": reg_services.cancel_registration,
     "reissued": reg_services.reissue_ticket}[how](registration)
    commit()
    for suffix in ("", ".png", ".ics"):
        response = client.get(f"/t/{code}{suffix}")
        assert response.status_code == 410, (suffix, response.status_code)
        assert b"BEGIN:VCALENDAR" not in response.data
    assert client.post(f"/t/{code}/cancel").status_code == 410
