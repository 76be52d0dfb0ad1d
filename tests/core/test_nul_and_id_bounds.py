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


def test_nul_in_login_reset_and_team_emails(client, login, make_user, make_event):
    user = make_user()
    assert client.post("/login", data={"email": "a\x00@example.org", "password": "x"}).status_code == 401
    assert client.post("/password/forgot", data={"email": "a\x00@example.org"}).status_code == 200
    organizer = make_user()
    event = make_event(organizer=organizer)
    login(organizer)
    response = client.post(f"/manage/events/{event.id}/team",
                           data={"name": "N\x00ame", "email": "n\x00@example.org", "role": "moderator"})
    assert response.status_code == 200
    assert user.id


def test_huge_page_and_offset_are_not_a_server_error(client, login, make_user, make_event):
    from eventhub.auth.services import create_api_token
    from eventhub.core.db import commit

    organizer = make_user()
    event = make_event(organizer=organizer)
    _token, plaintext = create_api_token(event, organizer, "t")
    commit()
    login(organizer)
    huge = "9" * 30
    assert client.get(f"/manage/events/{event.id}/registrations?page={huge}").status_code == 200
    response = client.get(f"/api/v1/events/{event.id}/registrations?offset={huge}&limit={huge}",
                          headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 200 and response.get_json()["items"] == []


def test_out_of_range_ids_in_urls_are_404_everywhere(client, login, make_user, make_event):
    """PostgreSQL integers stop at 2**31-1: a bigger id in a URL must be a 404, never a 500."""
    organizer = make_user(is_admin=True)
    make_event(organizer=organizer)
    login(organizer)
    huge = "9" * 20
    for url in (f"/manage/events/{huge}", f"/manage/events/{huge}/registrations", f"/api/v1/events/{huge}",
                f"/api/v1/events/{huge}/public-key", f"/manage/events/1/outbox/{huge}"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/manage/events/1/registrations/{huge}/cancel").status_code == 404


def test_nul_or_huge_slug_is_404(client, make_event):
    event = make_event()
    for url in (f"/e/{event.slug}%00", "/e/%00/register", "/e/" + "x" * 5000, f"/e/{event.slug}%00/agenda"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/e/{event.slug}").status_code == 200
