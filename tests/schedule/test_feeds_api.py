"""Calendar feeds parsed back with `icalendar`, and the JSON API (with its OpenAPI entries)."""

from __future__ import annotations

from datetime import UTC

from icalendar import Calendar

from eventhub.auth.services import create_api_token
from eventhub.core.db import commit
from eventhub.schedule import panelists as pan
from eventhub.schedule import services
from tests.schedule.conftest import utc


def parse(response) -> Calendar:
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def events_of(cal: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_event_feed_round_trips_with_stable_uids_zones_and_cancellations(client, world, make_session):
    opening = make_session("Ouverture officielle", utc(9, 15), utc(9, 45), panelists=[world.algiers])
    later = make_session("Session 2", utc(11, 30), utc(13))
    make_session("Brouillon", utc(14), utc(15))  # published below, then...
    services.publish_schedule(world.event)
    draft = make_session("Pas encore prêt", utc(16), utc(17))
    commit()
    url = f"/e/{world.event.slug}/agenda.ics"
    first = events_of(parse(client.get(url)))
    assert f"session-{draft.id}@eventhub" not in first and len(first) == 3
    item = first[f"session-{opening.id}@eventhub"]
    assert item.decoded("DTSTART").astimezone(UTC) == utc(9, 15)
    # Bamako is UTC+0 all year: icalendar writes such times in UTC ("Z"), which every client reads the same.
    assert item["DTSTART"].to_ical().decode().endswith("Z") or item["DTSTART"].params["TZID"] == "Africa/Bamako"
    assert str(item["STATUS"]) == "CONFIRMED" and "Salle principale" in str(item["LOCATION"])
    assert str(parse(client.get(url))["X-WR-TIMEZONE"]) == "Africa/Bamako"
    services.cancel_session(later)
    commit()
    again = events_of(parse(client.get(url)))
    assert set(again) == set(first)  # UIDs stable across fetches and changes
    assert str(again[f"session-{later.id}@eventhub"]["STATUS"]) == "CANCELLED"
    assert int(again[f"session-{later.id}@eventhub"]["SEQUENCE"]) > 0


def test_panelist_feed_in_their_zone_with_the_join_link_as_location(client, world, make_session):
    make_session("Financer l'amorçage", utc(9, 30), utc(10, 30), panelists=[world.sf],
                 meeting_url="https://meet.example.org/seed")
    make_session("Session sur scène", utc(12), utc(13), panelists=[world.sf], room=world.side)
    cal = parse(client.get(f"/e/{world.event.slug}/panelist/{pan.make_link_token(world.sf)}/agenda.ics"))
    items = sorted(cal.walk("VEVENT"), key=lambda e: e.decoded("DTSTART"))
    assert items[0]["DTSTART"].params["TZID"] == "America/Los_Angeles"
    start, end = items[0].decoded("DTSTART"), items[0].decoded("DTEND")
    assert (start.hour, start.minute, end.hour, end.minute) == (1, 30, 3, 30)  # across the DST switch
    assert start.utcoffset().total_seconds() == -8 * 3600 and end.utcoffset().total_seconds() == -7 * 3600
    assert str(items[0]["LOCATION"]) == "https://meet.example.org/seed"
    # the second session has no meeting link: the personal page is where they learn how to join
    assert "/panelist/" in str(items[1]["LOCATION"])
    assert {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")} == {"America/Los_Angeles"}


def test_attendee_feed_holds_starred_sessions(client, world, make_session):
    from eventhub.registration import services as reg
    from eventhub.registration.models import AttendanceMode

    starred = make_session("Session 1", utc(10), utc(11))
    make_session("Session 2", utc(11), utc(12))
    services.publish_schedule(world.event)
    registration = reg.register(world.event, reg.RegistrationData(
        name="Awa Cissé", email="awa@example.org", country="ML", mode=AttendanceMode.REMOTE, consent=True)
    ).registration
    commit()
    code = registration.ticket.code
    assert client.post(f"/t/{code}/agenda/{starred.id}/star").status_code == 302
    items = events_of(parse(client.get(f"/t/{code}/agenda.ics")))
    assert list(items) == [f"session-{starred.id}@eventhub"]
    assert client.get("/t/XXXX/agenda.ics").status_code == 404


# --- API ----------------------------------------------------------------------------------------------------

API = "/api/v1"


def token_for(world) -> dict:
    _t, plain = create_api_token(world.event, world.organizer, "scheduler")
    commit()
    return {"Authorization": f"Bearer {plain}"}


def test_api_read_is_public_once_published_and_drafts_need_the_token(client, world, make_session):
    session = make_session("Ouverture officielle", utc(9, 15), utc(9, 45), panelists=[world.algiers])
    eid = world.event.id
    assert client.get(f"{API}/events/{eid}/sessions").status_code == 404
    headers = token_for(world)
    body = client.get(f"{API}/events/{eid}/sessions", headers=headers).get_json()
    assert body["published"] is False and body["items"][0]["status"] == "draft"
    services.publish_schedule(world.event)
    commit()
    body = client.get(f"{API}/events/{eid}/sessions").get_json()
    item = body["items"][0]
    assert item["id"] == session.id
    assert item["starts_at"] in ("2027-03-14T09:15:00Z", "2027-03-14T09:15:00+00:00")
    assert item["panelists"][0] == {"panelist_id": world.algiers.id, "name": "Yacine Boudiaf", "title": "Ministre",
                                    "organization": "", "country": "DZ", "mode": "remote",
                                    "timezone": "Africa/Algiers"}
    assert "meeting_url" not in item  # the panelists' video link is not public
    rooms = client.get(f"{API}/events/{eid}/rooms").get_json()["items"]
    assert [r["name"] for r in rooms] == ["Salle principale", "Salle 2"]
    assert client.get(f"{API}/events/{eid}/sessions/{session.id}").get_json()["title"] == "Ouverture officielle"


def test_api_write_with_conflicts_and_bad_input(client, world, make_session):
    make_session("Session 1", utc(10), utc(11))
    eid = world.event.id
    headers = token_for(world)
    room = client.post(f"{API}/events/{eid}/rooms", json={"name": "Salle 3", "capacity": 30}, headers=headers)
    assert room.status_code == 201
    body = {"title": "Atelier", "starts_at": "2027-03-14T10:30:00+00:00", "ends_at": "2027-03-14T11:30:00+00:00",
            "room_id": world.hall.id}
    clash = client.post(f"{API}/events/{eid}/sessions", json=body, headers=headers)
    assert clash.status_code == 409 and clash.get_json()["error"]["code"] == "room_conflict"
    assert "Session 1" in clash.get_json()["error"]["message"]
    created = client.post(f"{API}/events/{eid}/sessions", json={**body, "room_id": room.get_json()["id"],
                                                                "panelists": [{"panelist_id": world.sf.id,
                                                                               "mode": "on_stage"}]},
                          headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["panelists"][0]["mode"] == "on_stage"
    sid = created.get_json()["id"]
    cases = [
        ({"ends_at": "2027-03-14T10:00:00+00:00"}, 422, "invalid_times"),
        ({"starts_at": "2027-03-14T10:30:00"}, 422, "validation_failed"),  # no offset
        ({"starts_at": "2027-03-13T10:30:00+00:00", "ends_at": "2027-03-13T11:00:00+00:00"}, 422, "outside_event"),
        ({"description": "x" * 10_001}, 422, "validation_failed"),
        ({"room_id": 999_999}, 422, "invalid_session"),
        ({"panelists": [{"panelist_id": world.sf.id, "mode": "hologram"}]}, 422, "validation_failed"),
    ]
    for patch, status, code in cases:
        response = client.patch(f"{API}/events/{eid}/sessions/{sid}", json=patch, headers=headers)
        assert (response.status_code, response.get_json()["error"]["code"]) == (status, code), patch
    moved = client.patch(f"{API}/events/{eid}/sessions/{sid}", json={"starts_at": "2027-03-14T11:00:00+01:00",
                                                                     "ends_at": "2027-03-14T11:45:00+01:00"},
                         headers=headers)
    assert moved.status_code == 200 and moved.get_json()["starts_at"].startswith("2027-03-14T10:00:00")
    services.publish_schedule(world.event)
    commit()
    assert client.delete(f"{API}/events/{eid}/sessions/{sid}", headers=headers).status_code == 409
    cancelled = client.patch(f"{API}/events/{eid}/sessions/{sid}", json={"cancelled": True}, headers=headers)
    assert cancelled.get_json()["status"] == "cancelled"
    assert client.delete(f"{API}/events/{eid}/rooms/{world.hall.id}", headers=headers).status_code == 409


def test_api_token_of_another_event_cannot_touch_this_schedule(client, world, make_event, organizer, make_session):
    other = make_event(organizer=organizer, title="Autre")
    _t, plain = create_api_token(other, organizer, "other")
    commit()
    session = make_session()
    response = client.delete(f"{API}/events/{world.event.id}/sessions/{session.id}",
                             headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 403
    # and this event's token cannot reach the other event's rooms through this event's URL
    foreign = services.create_room(other, services.RoomData(name="Ailleurs"))
    commit()
    response = client.patch(f"{API}/events/{world.event.id}/rooms/{foreign.id}", json={"name": "x"},
                            headers=token_for(world))
    assert response.status_code == 404


def test_patch_panelists_without_mode_uses_the_panelists_own(client, world):
    remote = pan.create_panelist(world.event, pan.PanelistData(name="Nadia Hamidi", title="Directrice", country="DZ",
                                                                mode="remote", timezone="Africa/Algiers"))
    event = world.event
    session = services.create_session(event, services.SessionData(
        title="Ouverture", starts_at=event.starts_at, ends_at=event.starts_at + (event.ends_at - event.starts_at) / 5,
        room_id=world.hall.id, panelists=[]))
    commit()
    headers = token_for(world)
    response = client.patch(f"{API}/events/{event.id}/sessions/{session.id}", headers=headers,
                            json={"panelists": [{"panelist_id": remote.id}]})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.get_json()["panelists"][0]["panelist_id"] == remote.id
    assert response.get_json()["panelists"][0]["mode"] == "remote"
    both = client.patch(f"{API}/events/{event.id}/sessions/{session.id}", headers=headers,
                        json={"panelists": [{"panelist_id": remote.id, "mode": "on_stage"}]})
    assert both.status_code == 200 and both.get_json()["panelists"][0]["mode"] == "on_stage"


def test_openapi_lists_the_schedule(client):
    spec = client.get(f"{API}/openapi.json").get_json()
    assert {"/events/{event_id}/rooms", "/events/{event_id}/sessions",
            "/events/{event_id}/sessions/{session_id}"} <= set(spec["paths"])
    assert "AgendaSessionOut" in spec["components"]["schemas"]
    assert spec["paths"]["/events/{event_id}/sessions"]["post"]["security"] == [{"bearerAuth": []}]
