"""Organizer and attendee flows through HTTP, as browsers send them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import zxingcpp
from PIL import Image

from eventhub.auth.models import Role
from eventhub.auth.services import grant_role
from eventhub.core.db import commit
from eventhub.events.models import Event, EventStatus
from eventhub.extensions import db
from eventhub.registration.models import Registration, RegistrationStatus
from tests.conftest import registration_form
from tests.helpers import QueryCounter


def _event_form(**overrides) -> dict:
    data = {"title": "Mali Startup Connect", "description": "Pitchs et panels", "venue": "CICB", "room": "Salle 1",
            "timezone": "Africa/Bamako", "starts_at": "2027-02-18T08:30", "ends_at": "2027-02-18T18:00",
            "capacity": "400", "remote_enabled": "y", "remote_capacity": "", "languages": ["fr", "en"]}
    data.update(overrides)
    return data


def test_organizer_creates_event_with_local_times_stored_as_utc(client, login, make_user, make_event):
    organizer = make_user()
    make_event(organizer=organizer)  # an organizer of one event may create others
    login(organizer)
    response = client.post("/manage/events/new", data=_event_form(timezone="America/Los_Angeles",
                                                                   starts_at="2027-03-14T01:30",
                                                                   ends_at="2027-03-14T04:30"))
    assert response.status_code == 302
    event = db.session.scalars(db.select(Event).where(Event.title == "Mali Startup Connect")).one()
    # 14 March 2027 is the US DST switch (02:00 → 03:00): 01:30 PST is 09:30 UTC, 04:30 PDT is 11:30 UTC.
    assert event.starts_at == datetime(2027, 3, 14, 9, 30, tzinfo=UTC)
    assert event.ends_at == datetime(2027, 3, 14, 11, 30, tzinfo=UTC)
    assert event.status == EventStatus.DRAFT
    assert client.get(f"/e/{event.slug}").status_code == 404  # drafts are not public
    client.post(f"/manage/events/{event.id}/publish")
    page = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert "01:30" in page and "UTC-8" in page


def test_someone_without_events_cannot_create_one(client, login, make_user):
    login(make_user())
    assert client.get("/manage/events/new").status_code == 403


def test_event_form_errors_keep_input(client, login, make_user, make_event):
    organizer = make_user()
    event = make_event(organizer=organizer)
    login(organizer)
    response = client.post(f"/manage/events/{event.id}/edit",
                           data=_event_form(title="Nouveau titre", ends_at="2027-02-18T07:00"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Nouveau titre"' in html and 'class="errors"' in html
    db.session.expire_all()
    assert db.session.get(Event, event.id).title != "Nouveau titre"


def test_public_page_shows_time_in_event_zone_and_viewers_zone(client, login, make_user, make_event):
    event = make_event(starts_at=datetime(2027, 1, 20, 9, 0, tzinfo=UTC),
                       ends_at=datetime(2027, 1, 20, 13, 0, tzinfo=UTC))
    html = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert "09:00 (UTC)" in html and 'datetime="2027-01-20T09:00:00+00:00"' in html
    panelist = make_user()
    panelist.timezone = "Africa/Algiers"
    grant_role(event, panelist, Role.PANELIST)
    commit()
    login(panelist)
    html = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert "10:00 (UTC+1)" in html


def test_register_then_ticket_page_png_and_calendar(client, make_event):
    event = make_event()
    response = client.post(f"/e/{event.slug}/register", data=registration_form())
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Aminata Traoré" in html and "<svg" in html
    code = response.headers["Location"].split("/t/")[1].split("?")[0]
    png = client.get(f"/t/{code}.png")
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))] == [code]
    from icalendar import Calendar

    cal = Calendar.from_ical(client.get(f"/t/{code}.ics").data)
    (vevent,) = cal.walk("VEVENT")
    assert vevent["SUMMARY"] == event.title
    assert vevent.decoded("DTSTART") == event.starts_at


def test_attendee_cancels_and_next_person_is_promoted(client, make_event):
    event = make_event(capacity=1)
    first = client.post(f"/e/{event.slug}/register", data=registration_form(email="a@example.org"))
    client.post(f"/e/{event.slug}/register", data=registration_form(email="b@example.org"))
    code = first.headers["Location"].split("/t/")[1].split("?")[0]
    unconfirmed = client.post(f"/t/{code}/cancel")  # no confirmation: back to the question, nothing cancelled
    assert unconfirmed.status_code == 302 and unconfirmed.headers["Location"] == f"/t/{code}/cancel"
    assert client.post(f"/t/{code}/cancel", data={"confirm": "yes"}).status_code == 302
    statuses = {r.email: r.status for r in db.session.scalars(db.select(Registration))}
    assert statuses == {"a@example.org": RegistrationStatus.CANCELLED, "b@example.org": RegistrationStatus.CONFIRMED}
    assert client.get(f"/t/{code}").status_code == 410


def test_full_room_shows_waitlist_position(client, make_event):
    event = make_event(capacity=0)
    response = client.post(f"/e/{event.slug}/register", data=registration_form())
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1" in html and 'class="status wait"' in html


def test_organizer_list_filters_csv_add_revoke(client, login, make_user, make_event):
    organizer = make_user()
    event = make_event(organizer=organizer, capacity=1)
    client.post(f"/e/{event.slug}/register", data=registration_form(name="=HYPERLINK(\"x\")", email="x@example.org"))
    client.post(f"/e/{event.slug}/register", data=registration_form(name="Karim Benali", email="k@example.dz",
                                                                     country="DZ", mode="remote"))
    login(organizer)
    html = client.get(f"/manage/events/{event.id}/registrations?country=DZ").get_data(as_text=True)
    assert "Karim Benali" in html and "HYPERLINK" not in html
    response = client.get(f"/manage/events/{event.id}/registrations.csv")
    text = response.data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["name"] for r in rows} == {"'=HYPERLINK(\"x\")", "Karim Benali"}  # formula neutralised
    response = client.post(f"/manage/events/{event.id}/registrations/new",
                           data=registration_form(name="Ajout manuel", email="m@example.org", consent=""))
    assert response.status_code == 302
    manual = db.session.scalars(db.select(Registration).where(Registration.email == "m@example.org")).one()
    assert manual.source == "organizer" and manual.status == RegistrationStatus.WAITLISTED
    karim = db.session.scalars(db.select(Registration).where(Registration.email == "k@example.dz")).one()
    old_code = karim.ticket.code
    client.post(f"/manage/events/{event.id}/registrations/{karim.id}/revoke")
    assert client.get(f"/t/{old_code}").status_code == 410
    client.post(f"/manage/events/{event.id}/registrations/{karim.id}/reissue")
    db.session.expire_all()
    assert client.get(f"/t/{db.session.get(Registration, karim.id).ticket.code}").status_code == 200


def test_outbox_page_lists_sent_mail(client, login, make_user, make_event):
    organizer = make_user()
    event = make_event(organizer=organizer)
    client.post(f"/e/{event.slug}/register", data=registration_form())
    login(organizer)
    html = client.get(f"/manage/events/{event.id}/outbox").get_data(as_text=True)
    assert "aminata@example.org" in html


def test_api_token_is_shown_once_and_works(client, login, make_user, make_event):
    organizer = make_user()
    event = make_event(organizer=organizer)
    login(organizer)
    html = client.post(f"/manage/events/{event.id}/tokens", data={"name": "Badge printer"}).get_data(as_text=True)
    import re

    token = re.search(r"(eh_[A-Za-z0-9_-]{20,})", html).group(1)
    assert token not in client.get(f"/manage/events/{event.id}/tokens").get_data(as_text=True)
    api = client.get(f"/api/v1/events/{event.id}/registrations", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200


def test_registration_list_and_api_do_not_query_per_row(app, client, login, make_user, make_event):
    """30 registrations must not mean 30 more queries (each row shows its ticket and waitlist state)."""
    from eventhub.auth.services import create_api_token
    from eventhub.registration.services import RegistrationData, register

    organizer = make_user()
    ev = make_event(organizer=organizer, capacity=5)
    for i in range(30):
        register(ev, RegistrationData(name=f"P{i}", email=f"p{i}@example.org", country="ML", mode="in_person",
                                      consent=True))
    _token, plaintext = create_api_token(ev, organizer, "list")
    commit()
    login(organizer)
    with QueryCounter() as page:
        assert client.get(f"/manage/events/{ev.id}/registrations").status_code == 200
    with QueryCounter() as api:
        response = client.get(f"/api/v1/events/{ev.id}/registrations",
                              headers={"Authorization": f"Bearer {plaintext}"})
    page_queries, api_queries = page.n, api.n
    assert response.status_code == 200 and len(response.get_json()["items"]) == 30
    assert page_queries < 15, page_queries
    assert api_queries < 15, api_queries
