"""Input nobody sends on purpose: NUL characters, 10 kB strings, huge or foreign ids, non-object payloads.

None of it may crash the server (PostgreSQL refuses NUL in text and integers beyond 2**31 - 1): each gets a 4xx
answer or an error ack, and nothing is stored.
"""

from __future__ import annotations

import pytest

from eventhub.auth.services import create_api_token
from eventhub.core.db import commit
from eventhub.extensions import db, socketio
from eventhub.schedule import panelists as pan
from eventhub.schedule import services
from eventhub.schedule.models import AgendaSession, Panelist, Room
from tests.schedule.conftest import utc

API = "/api/v1"
HUGE = 99999999999999999999
NS = "/greenroom"


def token_for(world) -> dict:
    _t, plain = create_api_token(world.event, world.organizer, "review")
    commit()
    return {"Authorization": f"Bearer {plain}"}


def session_body(world, **kw) -> dict:
    body = {"title": "Session", "starts_at": "2027-03-14T10:00:00+00:00", "ends_at": "2027-03-14T11:00:00+00:00",
            "room_id": world.hall.id}
    body.update(kw)
    return body


# --- services -------------------------------------------------------------------------------------------------

def test_services_strip_nul_from_text_and_refuse_it_in_urls(world):
    room = services.create_room(world.event, services.RoomData(name="Salle\x00 VIP"))
    assert room.name == "Salle VIP"
    session = services.create_session(world.event, services.SessionData(
        title="Ti\x00tre", description="Une\x00 description", starts_at=utc(10), ends_at=utc(11),
        room_id=world.hall.id))
    assert session.title == "Titre" and session.description == "Une description"
    with pytest.raises(services.ValidationFailed) as exc:
        services.create_session(world.event, services.SessionData(
            title="Lien", starts_at=utc(12), ends_at=utc(13), meeting_url="https://meet.example.org/\x00x"))
    assert "meeting_url" in exc.value.fields
    panelist = pan.create_panelist(world.event, pan.PanelistData(name="Awa\x00 Traoré", bio="Bio\x00", title="D\x00G"))
    assert (panelist.name, panelist.bio, panelist.title) == ("Awa Traoré", "Bio", "DG")
    commit()


def test_services_treat_out_of_range_ids_as_unknown(world):
    for bad in (HUGE, -1, 0):
        with pytest.raises(services.NotFound):
            services.get_session(world.event, bad)
        with pytest.raises(services.NotFound):
            services.get_room(world.event, bad)
        with pytest.raises(pan.NotFound):
            pan.get_panelist(world.event, bad)
    with pytest.raises(services.ValidationFailed) as exc:
        services.create_session(world.event, services.SessionData(
            title="S", starts_at=utc(10), ends_at=utc(11), room_id=HUGE, panelists=[(HUGE, None)],
            moderator_ids=[HUGE]))
    assert {"room_id", "panelists", "moderator_ids"} <= set(exc.value.fields)


# --- JSON API -------------------------------------------------------------------------------------------------

def test_api_refuses_nul_long_text_huge_ids_and_non_objects_without_a_500(client, world, make_session):
    headers = token_for(world)
    base = f"{API}/events/{world.event.id}"
    session = make_session()
    cases = [
        ("post", f"{base}/rooms", {"name": "\x00"}),
        ("post", f"{base}/rooms", {"name": "x" * 10_000}),
        ("post", f"{base}/rooms", {"name": "Salle", "capacity": HUGE}),
        ("post", f"{base}/rooms", ["not", "an", "object"]),
        ("post", f"{base}/rooms", "null"),
        ("post", f"{base}/sessions", session_body(world, room_id=HUGE)),
        ("post", f"{base}/sessions", session_body(world, room_id=-1)),
        ("post", f"{base}/sessions", session_body(world, panelists=[{"panelist_id": HUGE}])),
        ("post", f"{base}/sessions", session_body(world, moderator_ids=[HUGE])),
        ("post", f"{base}/sessions", session_body(world, title="x" * 10_000)),
        ("post", f"{base}/sessions", session_body(world, meeting_url="https://a.example/\x00")),
        ("post", f"{base}/sessions", session_body(world, starts_at="\x00")),
        ("post", f"{base}/sessions", {}),
        ("patch", f"{base}/sessions/{session.id}", {"room_id": HUGE}),
        ("patch", f"{base}/sessions/{session.id}", {"title": "\x00"}),
        ("patch", f"{base}/sessions/{session.id}", {"description": "x" * 10_001}),
        ("patch", f"{base}/rooms/{world.hall.id}", {"name": "\x00\x00"}),
    ]
    for method, url, body in cases:
        kwargs = {"data": body, "content_type": "application/json"} if isinstance(body, str) else {"json": body}
        response = getattr(client, method)(url, headers=headers, **kwargs)
        assert response.status_code == 422, (method, url, body, response.status_code)
        assert response.is_json and "error" in response.get_json(), (url, body)
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(AgendaSession)) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Room)) == 2
    assert db.session.get(AgendaSession, session.id).title == "Session 1"


def test_api_nul_in_a_name_is_dropped_not_stored(client, world):
    response = client.post(f"{API}/events/{world.event.id}/rooms", headers=token_for(world),
                           json={"name": "Salle\x00 3"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["name"] == "Salle 3"


def test_api_huge_ids_in_the_path_are_not_found(client, world, make_session):
    headers = token_for(world)
    services.publish_schedule(world.event)
    commit()
    base = f"{API}/events/{world.event.id}"
    for method, url in [("get", f"{base}/sessions/{HUGE}"), ("patch", f"{base}/sessions/{HUGE}"),
                        ("delete", f"{base}/sessions/{HUGE}"), ("patch", f"{base}/rooms/{HUGE}"),
                        ("delete", f"{base}/rooms/{HUGE}"), ("get", f"{API}/events/{HUGE}/sessions"),
                        ("get", f"{API}/events/{HUGE}/rooms")]:
        response = getattr(client, method)(url, headers=headers, json={"title": "x"})
        assert response.status_code == 404, (method, url, response.status_code)


def test_api_another_events_room_and_panelist_are_refused(client, world, make_event, organizer):
    other = make_event(organizer=organizer, title="Autre")
    room = services.create_room(other, services.RoomData(name="Ailleurs"))
    stranger = pan.create_panelist(other, pan.PanelistData(name="Étranger"))
    commit()
    response = client.post(f"{API}/events/{world.event.id}/sessions", headers=token_for(world),
                           json=session_body(world, room_id=room.id, panelists=[{"panelist_id": stranger.id}]))
    assert response.status_code == 422
    assert {"room_id", "panelists"} <= set(response.get_json()["error"]["fields"])


# --- public pages -----------------------------------------------------------------------------------------------

def test_public_pages_with_malformed_or_huge_ids_are_404(client, world, make_session):
    session = make_session()
    services.publish_schedule(world.event)
    commit()
    slug = world.event.slug
    for url in [f"/e/{slug}/agenda/abc", f"/e/{slug}/agenda/-1", f"/e/{slug}/agenda/{HUGE}",
                f"/e/{slug}/panelists/{HUGE}/photo", f"/e/{slug}/panelist/%00", f"/e/{slug}/panelist/{'x' * 10_000}",
                f"/e/{slug}/panelist/{'x' * 10_000}/agenda.ics", f"/e/{slug}%00/agenda"]:
        assert client.get(url).status_code == 404, url
    assert client.get(f"/e/{slug}/agenda?day=%00").status_code == 200
    assert client.get(f"/e/{slug}/agenda?day={'9' * 10_000}").status_code == 200
    assert client.get(f"/e/{slug}/agenda/{session.id}").status_code == 200


def test_star_with_huge_or_foreign_session_id_is_404(client, world, make_session, make_event, organizer):
    from eventhub.registration import services as reg
    from eventhub.registration.models import AttendanceMode

    services.publish_schedule(world.event)
    commit()
    other = make_event(organizer=organizer, title="Autre", starts_at=utc(8), ends_at=utc(18))
    foreign = services.create_session(other, services.SessionData(title="Ailleurs", starts_at=utc(10),
                                                                  ends_at=utc(11)))
    services.publish_schedule(other)
    registration = reg.register(world.event, reg.RegistrationData(
        name="Aminata Traoré", email="aminata@example.org", country="ML", mode=AttendanceMode.IN_PERSON,
        consent=True)).registration
    commit()
    code = registration.ticket.code
    for sid in (HUGE, foreign.id):
        assert client.post(f"/t/{code}/agenda/{sid}/star").status_code == 404, sid


# --- organizer forms --------------------------------------------------------------------------------------------

def test_organizer_forms_with_nul_long_text_and_huge_ids_never_500(client, login, world, make_session):
    login(world.organizer)
    session = make_session()
    base = f"/manage/events/{world.event.id}/schedule"
    form = {"title": "T\x00", "kind": "panel", "room_id": str(world.hall.id), "starts_at": "2027-03-14T12:00",
            "ends_at": "2027-03-14T13:00", "languages": ["fr"], "description": "d\x00",
            "meeting_url": "https://m.example/\x00"}
    assert client.post(f"{base}/sessions/new", data=form).status_code == 422
    for extra in ({"room_id": str(HUGE)}, {"room_id": "abc"}, {"panelists": [str(HUGE)]},
                  {"moderators": ["-1"]}, {"title": "x" * 10_000}, {"starts_at": "\x00"}, {"kind": "\x00"}):
        response = client.post(f"{base}/sessions/new", data={**form, "meeting_url": "", **extra})
        assert response.status_code == 422, (extra, response.status_code)
    assert client.post(f"{base}/rooms", data={"name": "R\x00oom"}).status_code == 302
    assert client.post(f"{base}/rooms", data={"name": "\x00"}).status_code == 422
    assert client.post(f"{base}/rooms", data={"name": "x" * 10_000}).status_code == 422
    assert client.post(f"{base}/rooms", data={"name": "C", "capacity": str(HUGE)}).status_code == 422
    response = client.post(f"{base}/panelists", data={"name": "Awa\x00", "bio": "b\x00", "mode": "on_stage",
                                                      "timezone": "Africa/Bamako", "country": "",
                                                      "email": "a\x00@b.ml"})
    assert response.status_code == 422
    response = client.post(f"{base}/panelists", data={"name": "Awa\x00", "bio": "b\x00", "mode": "on_stage",
                                                      "timezone": "Africa/\x00Bamako", "country": ""})
    assert response.status_code == 422
    response = client.post(f"{base}/panelists", data={"name": "Awa\x00 T", "bio": "b\x00", "mode": "on_stage",
                                                      "timezone": "Africa/Bamako", "country": ""})
    assert response.status_code == 302
    assert db.session.scalar(db.select(Panelist.name).where(Panelist.name == "Awa T")) == "Awa T"
    for url in (f"{base}/sessions/{HUGE}/edit", f"{base}/rooms/{HUGE}/edit", f"{base}/panelists/{HUGE}/edit"):
        assert client.get(url).status_code == 404, url
    for url in (f"{base}/sessions/{HUGE}/cancel", f"{base}/sessions/{HUGE}/delete", f"{base}/rooms/{HUGE}/delete",
                f"{base}/panelists/{HUGE}/invite", f"{base}/panelists/{HUGE}/revoke",
                f"{base}/panelists/{HUGE}/delete", f"{base}/sessions/{HUGE}/move"):
        assert client.post(url).status_code == 404, url
    assert client.get(f"{base}/sessions/new?start=%00&room={HUGE}").status_code == 200
    assert client.get(f"{base}?day=%00").status_code == 200
    db.session.expire_all()
    assert db.session.get(AgendaSession, session.id).title == "Session 1"


def test_grid_move_refuses_bad_bodies(client, login, world, make_session):
    login(world.organizer)
    session = make_session()
    url = f"/manage/events/{world.event.id}/schedule/sessions/{session.id}/move"
    good = {"starts_at": "2027-03-14T12:00:00+00:00", "ends_at": "2027-03-14T13:00:00+00:00"}
    for body in (None, [], "x", {**good, "room_id": HUGE}, {**good, "room_id": -5}, {**good, "starts_at": "\x00"},
                 {**good, "extra": 1}, {"starts_at": "2027-03-14T12:00:00", "ends_at": "2027-03-14T13:00:00"}):
        response = client.post(url, json=body)
        assert response.status_code == 422, (body, response.status_code)
        assert "error" in response.get_json()
    db.session.expire_all()
    assert db.session.get(AgendaSession, session.id).starts_at == utc(10)


# --- green room socket ------------------------------------------------------------------------------------------

def test_green_room_socket_refuses_bad_payloads_with_an_error_ack(app, client, login, world):
    event_id = world.event.id  # the socket handlers end the test's DB session: read ids first
    login(world.organizer)
    sock = socketio.test_client(app, namespace=NS, flask_test_client=client)
    assert sock.is_connected(NS)
    for payload in (None, [], "x", 5, {"event_id": "1"}, {"event_id": HUGE}, {"event_id": -1}, {"event_id": 0},
                    {"event_id": event_id, "x": 1}, {"event_id": "\x00"}):
        ack = sock.emit("watch", payload, namespace=NS, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] in ("invalid_payload", "event_not_found"), (payload, ack)
    ack = sock.emit("watch", {"event_id": event_id}, namespace=NS, callback=True)
    assert ack["ok"] is True
    assert sock.emit("me", "x", namespace=NS, callback=True)["ok"] is False
    sock.disconnect(namespace=NS)


def test_green_room_socket_connect_with_bad_tokens_is_refused(app, world):
    for auth in ({"token": "\x00"}, {"token": "x" * 10_000}, {"token": 5}, ["token"], "token"):
        sock = socketio.test_client(app, namespace=NS, auth=auth)
        assert not sock.is_connected(NS), auth


def test_green_room_of_another_event_is_refused_to_a_moderator(app, client, login, world, make_event, organizer):
    other_id = make_event(organizer=organizer, title="Autre").id
    login(world.moderator)
    sock = socketio.test_client(app, namespace=NS, flask_test_client=client)
    ack = sock.emit("watch", {"event_id": other_id}, namespace=NS, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "not_moderator"
    sock.disconnect(namespace=NS)


# --- no query per session on the pages and feeds that list them -------------------------------------------------

def _count_queries(app, fn) -> int:
    from sqlalchemy import event as sa_event

    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def record(conn, cursor, statement, *args):  # noqa: ANN001, ANN002
        seen.append(statement)

    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
    return len(seen)


def test_agenda_grid_api_feed_and_green_room_do_not_query_per_session(app, client, login, world, make_session):
    def add(n: int, offset: int) -> None:
        for i in range(n):
            hour = 8 + offset + i
            make_session(f"S{hour}", utc(hour), utc(hour, 50), panelists=[world.bamako, world.algiers],
                         moderators=[world.moderator], room=world.hall if i % 2 else world.side)

    add(2, 0)
    services.publish_schedule(world.event)
    commit()
    headers = token_for(world)
    event_id, slug = world.event.id, world.event.slug
    login(world.organizer)
    urls = [f"/e/{slug}/agenda", f"/e/{slug}/agenda.ics", f"{API}/events/{event_id}/sessions",
            f"/manage/events/{event_id}/schedule?day=2027-03-14", f"/manage/events/{event_id}/schedule/green-room"]

    def counts() -> dict[str, int]:
        out = {}
        for url in urls:
            def fetch(url=url):  # noqa: ANN202
                assert client.get(url, headers=headers).status_code == 200, url
            out[url] = _count_queries(app, fetch)
        return out

    # A token's first use writes its last_used_at once (then at most once a minute): not a per-session query.
    assert client.get(urls[2], headers=headers).status_code == 200
    few = counts()
    add(6, 2)
    services.publish_schedule(world.event)
    commit()
    many = counts()
    assert many == few, (few, many)
