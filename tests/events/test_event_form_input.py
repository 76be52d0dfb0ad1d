"""Bad and hostile input in the organizer's event form (create and edit): limits, garbage, times, zones, HTML."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import future
from tests.helpers import event_organizer, field_errors

TEN_KB = "A" * 10_240


# --- the event form -------------------------------------------------------------------------------------------

def _event_form(**overrides) -> dict:
    start = future(30).replace(tzinfo=None)
    data = {"title": "Atelier numérique", "description": "", "venue": "CICB", "room": "Salle 1",
            "timezone": "Africa/Bamako", "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"), "capacity": "50",
            "remote_enabled": "y", "remote_capacity": "", "languages": ["fr"]}
    data.update(overrides)
    return data


@pytest.fixture
def organizer_client(client, login, make_event):
    event = make_event()
    login(event_organizer(event))
    client.event = event  # type: ignore[attr-defined]
    return client


def events_count() -> int:
    from eventhub.events.models import Event
    from eventhub.extensions import db

    return db.session.scalar(db.select(db.func.count()).select_from(Event))


def test_event_form_control_case_is_accepted(organizer_client):
    before = events_count()
    response = organizer_client.post("/manage/events/new", data=_event_form())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert events_count() == before + 1


@pytest.mark.parametrize("field,limit", [("title", 200), ("venue", 200), ("room", 200), ("timezone", 64)])
def test_event_form_ten_kilobytes(organizer_client, field, limit):
    before = events_count()
    response = organizer_client.post("/manage/events/new", data=_event_form(**{field: TEN_KB}))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), field), field
    assert events_count() == before


def test_event_form_description_over_the_limit(organizer_client):
    response = organizer_client.post("/manage/events/new", data=_event_form(description="x" * 20_001))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "description")


def test_event_form_garbage_values(organizer_client):
    before = events_count()
    response = organizer_client.post("/manage/events/new", data=_event_form(
        title="", starts_at="demain matin", ends_at="\x00\x01garbage", capacity="beaucoup",
        remote_capacity="-5", languages=["xx"], registration_opens_at="31/02/2030"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for name in ("title", "starts_at", "ends_at", "capacity", "remote_capacity", "languages",
                 "registration_opens_at"):
        assert field_errors(html, name), f"no error next to {name}"
    assert events_count() == before


def test_event_form_negative_and_huge_capacity(organizer_client):
    for value in ("-1", "1000001", "99999999999999999999"):
        response = organizer_client.post("/manage/events/new", data=_event_form(capacity=value))
        assert response.status_code == 422, value
        assert field_errors(response.get_data(as_text=True), "capacity"), value


def test_event_form_inverted_times(organizer_client):
    before = events_count()
    start = future(30).replace(tzinfo=None)
    response = organizer_client.post("/manage/events/new", data=_event_form(
        starts_at=start.strftime("%Y-%m-%dT%H:%M"), ends_at=(start - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "ends_at")
    assert events_count() == before


def test_event_form_registration_closing_before_it_opens(organizer_client):
    start = future(30).replace(tzinfo=None)
    response = organizer_client.post("/manage/events/new", data=_event_form(
        registration_opens_at=(start - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        registration_closes_at=(start - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "registration_closes_at")


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "Europe/Bamako", "../../etc/passwd", "Africa/Bamako\x00"])
def test_event_form_unknown_time_zone(organizer_client, zone):
    before = events_count()
    response = organizer_client.post("/manage/events/new", data=_event_form(timezone=zone))
    assert response.status_code == 422, zone
    assert field_errors(response.get_data(as_text=True), "timezone"), zone
    assert events_count() == before


def test_event_edit_with_inverted_times_and_unknown_zone_changes_nothing(organizer_client):
    from eventhub.events.models import Event
    from eventhub.extensions import db

    event = organizer_client.event
    before = (event.title, event.starts_at, event.ends_at, event.timezone)
    start = future(30).replace(tzinfo=None)
    url = f"/manage/events/{event.id}/edit"
    response = organizer_client.post(url, data=_event_form(
        title="Changed", starts_at=start.strftime("%Y-%m-%dT%H:%M"),
        ends_at=(start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "ends_at")
    response = organizer_client.post(url, data=_event_form(title="Changed", timezone="Mars/Olympus"))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "timezone")
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert (event.title, event.starts_at, event.ends_at, event.timezone) == before


def test_event_form_html_title_is_escaped(organizer_client):
    response = organizer_client.post("/manage/events/new", data=_event_form(title="<script>alert(1)</script>"))
    assert response.status_code == 302
    page = organizer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
