"""Each role lands on what it does today, and the event menu reaches Q&A, moderation and screens."""

from __future__ import annotations

import re

import pytest

from eventhub.auth.models import Role
from eventhub.auth.services import grant_role
from eventhub.core.db import commit


def _sign_in(client, email: str) -> str:
    response = client.post("/login", data={"email": email, "password": "correct horse battery"})
    assert response.status_code == 302
    return response.headers["Location"]


@pytest.fixture
def team(qa, make_user):
    from eventhub.extensions import db
    from eventhub.schedule.models import Panelist

    door = make_user("door@example.org", "Accueil")
    grant_role(qa.event, door, Role.DOOR_STAFF)
    speaker = make_user("nadia@example.dz", "Nadia Hamidi")
    grant_role(qa.event, speaker, Role.PANELIST)
    panelist = db.session.get(Panelist, qa.panelist.id)
    panelist.user_id = speaker.id
    writer = make_user("rapport@example.org", "Rapporteure")
    grant_role(qa.event, writer, Role.RAPPORTEUR)
    commit()
    return qa


def test_sign_in_lands_each_role_on_its_home(app, team):
    qa = team
    expected = {
        "organizer@example.org": f"/manage/events/{qa.event.id}",
        "moderator@example.org": f"/manage/events/{qa.event.id}/mine",
        "door@example.org": f"/checkin/events/{qa.event.id}/scan",
        "nadia@example.dz": f"/manage/events/{qa.event.id}/mine",
        "rapport@example.org": f"/manage/events/{qa.event.id}/rapporteur",
    }
    for email, home in expected.items():
        client = app.test_client()
        assert _sign_in(client, email) == home, email
        assert client.get(home).status_code == 200
        assert client.get("/home").headers["Location"] == home
        assert client.get("/login").headers["Location"] == home


def test_moderator_home_has_one_tap_to_console_screen_and_green_room(client, team):
    qa = team
    _sign_in(client, "moderator@example.org")
    html = client.get(f"/manage/events/{qa.event.id}/mine").get_data(as_text=True)
    for session in (qa.session, qa.other_session):
        assert f'href="/manage/events/{qa.event.id}/qa/{session.id}"' in html
        assert f'href="/qa/{session.id}/screen"' in html
    assert f'href="/manage/events/{qa.event.id}/schedule/green-room"' in html
    assert f'href="/manage/events/{qa.event.id}/qa"' in html  # the event menu: Q&A and moderation, screens
    # What the moderator may not use is not offered.
    assert "/registrations" not in html and "/checkin/events" not in html


def test_panelist_home_links_their_personal_page(client, team):
    qa = team
    _sign_in(client, "nadia@example.dz")
    html = client.get(f"/manage/events/{qa.event.id}/mine").get_data(as_text=True)
    assert f'href="/e/{qa.event.slug}/panelist/' in html
    assert "Session 1 — État des lieux" in html
    assert f"/manage/events/{qa.event.id}/qa/" not in html  # no console for a panelist


def test_organizer_dashboard_menu_reaches_everything_and_shows_checked_in(client, team):
    qa = team
    _sign_in(client, "organizer@example.org")
    html = client.get(f"/manage/events/{qa.event.id}").get_data(as_text=True)
    for path in ("/registrations", "/schedule", "/mine", "/qa", "/schedule/green-room", "/checkin", "/team",
                 "/outbox"):
        assert f'href="/manage/events/{qa.event.id}{path}' in html, path
    assert f'href="/checkin/events/{qa.event.id}/scan"' in html
    assert 'id="checked-in"><strong>0</strong> / 2' in html


def test_time_zone_fields_are_searchable_choices_and_country_a_select(client, team):
    qa = team
    _sign_in(client, "organizer@example.org")
    html = client.get(f"/manage/events/{qa.event.id}/edit").get_data(as_text=True)
    assert 'list="tz-list"' in html and '<datalist id="tz-list">' in html
    assert '<option value="Africa/Bamako">' in html and '<option value="America/Los_Angeles">' in html
    panelist_form = client.get(f"/manage/events/{qa.event.id}/schedule/panelists").get_data(as_text=True)
    assert 'list="tz-list"' in panelist_form and re.search(r'<select[^>]*id="country"', panelist_form)
    register = client.get(f"/e/{qa.event.slug}/register").get_data(as_text=True)
    assert re.search(r'<select[^>]*id="country"', register)


def test_schedule_grid_shows_its_time_labels(client, team):
    qa = team
    _sign_in(client, "organizer@example.org")
    html = client.get(f"/manage/events/{qa.event.id}/schedule").get_data(as_text=True)
    labels = re.findall(r'<div class="slot-label[^"]*"[^>]*>(\d\d:\d\d)</div>', html)
    assert labels and all(label[3:] in ("00", "30") for label in labels), labels[:5]


def test_short_session_block_keeps_its_full_title(client, team):
    from datetime import timedelta

    from eventhub.schedule import services as sched

    qa = team
    short = sched.create_session(qa.event, sched.SessionData(
        title="Pause café et réseautage entre les délégations", starts_at=qa.event.starts_at + timedelta(hours=4),
        ends_at=qa.event.starts_at + timedelta(hours=4, minutes=15)))
    commit()
    _sign_in(client, "organizer@example.org")
    html = client.get(f"/manage/events/{qa.event.id}/schedule").get_data(as_text=True)
    block = re.search(rf'<div class="block [^"]*"\s+data-session="{short.id}"', html)
    assert block and re.search(r"\bs1\b", block.group(0))
    assert 'title="Pause café et réseautage entre les délégations"' in html
