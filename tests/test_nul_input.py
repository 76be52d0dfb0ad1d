"""NUL and control characters never reach the database (PostgreSQL refuses NUL in text: a 500 before)."""

from __future__ import annotations

from eventhub.extensions import db
from eventhub.registration.models import Registration
from tests.conftest import registration_form


def test_nul_in_registration_fields_is_removed(client, make_event):
    event = make_event()
    response = client.post(f"/e/{event.slug}/register", data=registration_form(
        name="Ami\x00nata\x07 Traoré", organization="Orange\x00 Mali", email="nul@example.org"))
    assert response.status_code == 302
    registration = db.session.scalars(db.select(Registration)).one()
    assert registration.name == "Aminata Traoré" and registration.organization == "Orange Mali"


def test_nul_in_api_and_search(client, login, make_user, make_event):
    organizer = make_user()
    event = make_event(organizer=organizer)
    response = client.post(f"/api/v1/events/{event.id}/registrations", json={
        "name": "\x00", "email": "a@example.org", "country": "ML", "mode": "in_person", "consent": True})
    assert response.status_code == 422
    assert "name" in response.get_json()["error"]["fields"]
    login(organizer)
    assert client.get(f"/manage/events/{event.id}/registrations?q=%00&country=%00%00").status_code == 200
