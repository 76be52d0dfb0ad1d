"""Organizer screens, the public agenda without JavaScript, badges, stars by ticket link, panelist pages."""

from __future__ import annotations

import difflib
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import time_machine

from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.schedule import panelists as pan
from eventhub.schedule import services
from eventhub.schedule.models import AgendaSession, Room
from tests.schedule.conftest import utc


def session_form(world, **kw) -> dict:
    values = {"title": "Session 1 — État des lieux", "kind": "panel", "room_id": str(world.hall.id),
              "starts_at": "2027-03-14T10:00", "ends_at": "2027-03-14T11:15", "description": "Hybride",
              "languages": ["fr", "ar"], "panelists": [str(world.bamako.id), str(world.algiers.id)],
              "remote_panelists": [str(world.algiers.id)], "moderators": [str(world.moderator.id)],
              "meeting_url": "https://meet.example.org/s1", "livestream_url": ""}
    values.update(kw)
    return values


def test_organizer_builds_publishes_and_attendees_see_it_without_javascript(client, login, world, organizer):
    event = world.event
    login(organizer)
    base = f"/manage/events/{event.id}/schedule"
    assert client.post(f"{base}/rooms", data={"name": "Salle VIP", "capacity": "20"}).status_code == 302
    assert db.session.scalar(db.select(Room).where(Room.name == "Salle VIP")) is not None
    response = client.post(f"{base}/sessions/new", data=session_form(world))
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    session = db.session.scalars(db.select(AgendaSession)).one()
    assert session.starts_at == utc(10) and session.ends_at == utc(11, 15)  # Bamako is UTC+0
    assert {(sp.panelist_id, sp.effective_mode.value) for sp in session.panelists} == {
        (world.bamako.id, "on_stage"), (world.algiers.id, "remote")}
    grid = client.get(base).get_data(as_text=True)
    assert "Session 1 — État des lieux" in grid and f'data-session="{session.id}"' in grid
    assert f"{base}/sessions/new?room={world.hall.id}" in grid.replace("&amp;", "&")  # click a slot: plain form

    public = f"/e/{event.slug}/agenda"
    assert client.get(public).status_code == 404  # not published yet
    assert client.post(f"{base}/publish").status_code == 302
    html = client.get(public).get_data(as_text=True)
    assert "Session 1 — État des lieux" in html and "10:00" in html and "11:15" in html
    assert "<script" not in html.split("</head>")[1]  # the agenda body needs no script
    page = client.get(f"/e/{event.slug}/agenda/{session.id}").get_data(as_text=True)
    assert "Yacine Boudiaf" in page and "Aïssata Diallo" in page
    assert page.count('class="badge badge-remote"') == 1 and page.count('class="badge badge-on_stage"') == 1
    assert f"/e/{event.slug}/agenda" in client.get(f"/e/{event.slug}").get_data(as_text=True)


def test_form_conflict_is_shown_and_nothing_saved(client, login, world, organizer, make_session):
    make_session("Ouverture officielle", utc(10), utc(10, 30))
    login(organizer)
    response = client.post(f"/manage/events/{world.event.id}/schedule/sessions/new", data=session_form(world))
    assert response.status_code == 422
    assert "Ouverture officielle" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(AgendaSession)) == 1


def test_form_in_the_event_zone_across_dst(client, login, make_event, organizer, make_user):
    la = make_event(organizer=organizer, title="SF", tz="America/Los_Angeles", starts_at=utc(8), ends_at=utc(20))
    room = services.create_room(la, services.RoomData(name="Main"))
    commit()
    login(organizer)
    response = client.post(f"/manage/events/{la.id}/schedule/sessions/new", data={
        "title": "Across the switch", "kind": "panel", "room_id": str(room.id), "starts_at": "2027-03-14T01:30",
        "ends_at": "2027-03-14T03:30", "languages": ["en"]})
    assert response.status_code == 302
    session = db.session.scalars(db.select(AgendaSession)).one()
    assert (session.starts_at, session.ends_at) == (utc(9, 30), utc(10, 30))


def test_drag_move_endpoint(client, login, world, organizer, make_session):
    make_session("Session 1", utc(10), utc(11))
    second = make_session("Session 2", utc(12), utc(13))
    login(organizer)
    url = f"/manage/events/{world.event.id}/schedule/sessions/{second.id}/move"
    clash = client.post(url, json={"starts_at": "2027-03-14T10:30:00+00:00", "ends_at": "2027-03-14T11:30:00+00:00",
                                   "room_id": world.hall.id})
    assert clash.status_code == 409
    assert clash.get_json()["error"]["code"] == "room_conflict" and "Session 1" in clash.get_json()["error"]["message"]
    ok = client.post(url, json={"starts_at": "2027-03-14T10:30:00+00:00", "ends_at": "2027-03-14T12:00:00+00:00",
                                "room_id": world.side.id})
    assert ok.status_code == 200 and ok.get_json()["room_id"] == world.side.id
    for bad in ({"starts_at": "soon"}, [], {"starts_at": "2027-03-14T10:30", "ends_at": "2027-03-14T11:30"},
                {"starts_at": "2027-03-14T10:30:00Z", "ends_at": "2027-03-14T11:30:00Z", "extra": 1}):
        assert client.post(url, json=bad).status_code == 422, bad
    inverted = client.post(url, json={"starts_at": "2027-03-14T12:00:00Z", "ends_at": "2027-03-14T11:00:00Z"})
    assert inverted.get_json()["error"]["code"] == "invalid_times"


def test_move_endpoint_needs_the_csrf_token(csrf_client, world, organizer, make_session):
    session = make_session()
    token = csrf_client.csrf_token("/login")
    csrf_client.post("/login", data={"email": organizer.email, "password": "correct horse battery",
                                     "csrf_token": token})
    url = f"/manage/events/{world.event.id}/schedule/sessions/{session.id}/move"
    body = {"starts_at": "2027-03-14T12:00:00Z", "ends_at": "2027-03-14T13:00:00Z", "room_id": world.hall.id}
    assert csrf_client.post(url, json=body).status_code == 400
    grid_token = re.search(r'name="csrf-token" content="([^"]+)"',
                           csrf_client.get(f"/manage/events/{world.event.id}/schedule").get_data(as_text=True))
    assert csrf_client.post(url, json=body, headers={"X-CSRFToken": grid_token.group(1)}).status_code == 200


def test_changed_and_cancelled_badges_after_publishing(client, login, world, organizer, make_session):
    changed = make_session("Session 1", utc(10), utc(11), panelists=[world.algiers])
    cancelled = make_session("Session 2", utc(11), utc(12))
    services.publish_schedule(world.event)
    commit()
    login(organizer)
    base = f"/manage/events/{world.event.id}/schedule"
    client.post(f"{base}/sessions/{changed.id}/move", json={
        "starts_at": "2027-03-14T10:15:00Z", "ends_at": "2027-03-14T11:00:00Z", "room_id": world.hall.id})
    assert client.post(f"{base}/sessions/{cancelled.id}/cancel").status_code == 302
    html = client.get(f"/e/{world.event.slug}/agenda").get_data(as_text=True)
    assert html.count("badge-changed") == 1 and html.count("badge-cancelled") == 1
    from eventhub.mail.models import MailMessage

    mails = db.session.scalars(db.select(MailMessage).where(MailMessage.kind == "session_change")).all()
    assert [m.recipient for m in mails] == ["yacine@example.dz"]


def test_stars_through_the_ticket_link(client, world, make_session):
    from eventhub.registration import services as reg
    from eventhub.registration.models import AttendanceMode

    first = make_session("Session 1", utc(10), utc(11))
    make_session("Session 2", utc(11), utc(12))
    draft_registration = reg.register(world.event, reg.RegistrationData(
        name="Aminata Traoré", email="aminata@example.org", country="ML", mode=AttendanceMode.IN_PERSON,
        consent=True)).registration
    commit()
    code = draft_registration.ticket.code
    assert "pas encore" in client.get(f"/t/{code}/agenda").get_data(as_text=True) or \
        client.get(f"/t/{code}/agenda").status_code == 200
    before = client.get(f"/t/{code}/agenda")  # the `or` above passes on any 200: the drafts must not show
    assert before.status_code == 200 and "Session 1" not in before.get_data(as_text=True)
    services.publish_schedule(world.event)
    commit()
    response = client.post(f"/t/{code}/agenda/{first.id}/star")
    assert response.status_code == 302
    html = client.get(f"/t/{code}/agenda").get_data(as_text=True)
    assert 'aria-pressed="true"' in html and html.count('aria-pressed="false"') == 1
    assert client.post(f"/t/{code}/agenda/{first.id}/star", headers={"Accept": "application/json"}).get_json() == {
        "session_id": first.id, "starred": False}
    assert client.post(f"/t/{code}/agenda/{first.id}/star").status_code == 302
    assert client.post(f"/t/NOTACODE/agenda/{first.id}/star").status_code == 404
    assert client.post(f"/t/{code}/agenda/999999/star").status_code == 404


def test_script_in_every_text_is_escaped(client, world, make_session):
    evil = '<script>alert("x")</script>'
    world.algiers.name, world.algiers.bio, world.hall.name = evil, evil, evil + "room"
    make_session(evil, utc(10), utc(11), panelists=[world.algiers], description=evil)
    services.publish_schedule(world.event)
    commit()
    session = db.session.scalars(db.select(AgendaSession)).one()
    for url in (f"/e/{world.event.slug}/agenda", f"/e/{world.event.slug}/agenda/{session.id}",
                f"/e/{world.event.slug}/panelist/{pan.make_link_token(world.algiers)}"):
        html = client.get(url).get_data(as_text=True)
        assert evil not in html and "&lt;script&gt;" in html, url


# --- the panelist page ------------------------------------------------------------------------------------

@time_machine.travel(utc(7).astimezone(ZoneInfo("Africa/Algiers")), tick=False)
def test_panelist_page_in_algiers_time(client, world, make_session):
    make_session("Ouverture officielle", utc(9, 15), utc(9, 45), panelists=[world.algiers],
                 meeting_url="https://meet.example.org/ouverture")
    token = pan.make_link_token(world.algiers)
    response = client.get(f"/e/{world.event.slug}/panelist/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "10:15 (UTC+1)" in html and "10:45" in html and "Africa/Algiers" in html
    assert "https://meet.example.org/ouverture" in html and 'id="device-check"' in html and 'id="questions"' in html
    db.session.expire_all()
    # Opening the page is not arriving (a mail client's link preview opens it too): the page's script does, when it
    # joins the green room (tests/schedule/test_sockets.py).
    assert world.algiers.arrived_at is None
    assert response.headers["Referrer-Policy"] == "no-referrer" and response.headers["Cache-Control"] == "no-store"


@time_machine.travel(utc(6).astimezone(ZoneInfo("America/Los_Angeles")), tick=False)
def test_panelist_page_in_san_francisco_across_the_dst_switch(client, world, make_session):
    make_session("Financer l'amorçage", utc(9, 30), utc(10, 30), panelists=[world.sf])
    html = client.get(f"/e/{world.event.slug}/panelist/{pan.make_link_token(world.sf)}").get_data(as_text=True)
    assert "01:30 (UTC-8)" in html and "03:30" in html and "America/Los_Angeles" in html


def test_panelist_link_failures_all_look_the_same(client, world, make_event, organizer, make_session):
    make_session(panelists=[world.algiers])
    token = pan.make_link_token(world.algiers)
    other = make_event(organizer=organizer, title="Mali Startup Connect")
    good = client.get(f"/e/{world.event.slug}/panelist/{token}")
    # The panelist's own page, not any page answering 200: their name and the device check are on it.
    assert good.status_code == 200
    good_html = good.get_data(as_text=True)
    assert "Yacine Boudiaf" in good_html and 'id="device-check"' in good_html
    tampered = token[:-3] + ("xyz" if not token.endswith("xyz") else "abc")
    with time_machine.travel(utc(9) + timedelta(days=31), tick=False):
        expired = client.get(f"/e/{world.event.slug}/panelist/{token}")
    foreign = client.get(f"/e/{other.slug}/panelist/{token}")
    bad = client.get(f"/e/{world.event.slug}/panelist/{tampered}")
    huge = client.get(f"/e/{world.event.slug}/panelist/{'a' * 3000}")
    pan.revoke_links(world.algiers)
    commit()
    revoked = client.get(f"/e/{world.event.slug}/panelist/{token}")
    bodies = set()
    for response in (expired, foreign, bad, huge, revoked):
        assert response.status_code == 404
        # the page differs only by its own address (in the language switcher's "next")
        text = re.sub(r'name="(next|csrf_token)" value="[^"]*"', "", response.get_data(as_text=True))
        assert "Yacine" not in text and "expired" not in text.lower() and "revok" not in text.lower()
        bodies.add(text)
    assert len(bodies) == 1, "\n".join(difflib.unified_diff(*[b.splitlines() for b in list(bodies)[:2]]))
    assert client.get(f"/e/{world.event.slug}/panelist/{token}/agenda.ics").status_code == 404


def test_organizer_invites_resends_and_revokes(client, login, world, organizer):
    login(organizer)
    base = f"/manage/events/{world.event.id}/schedule/panelists/{world.algiers.id}"
    assert client.post(f"{base}/invite").status_code == 302
    assert client.post(f"{base}/invite").status_code == 302
    from eventhub.mail.models import MailMessage

    mails = db.session.scalars(db.select(MailMessage).where(MailMessage.kind == "panelist_invitation")).all()
    assert len(mails) == 2
    link = re.search(r"http\S+/panelist/\S+", mails[0].body_text).group(0)
    path = link.split("localhost", 1)[-1]
    page = client.get(path)
    assert page.status_code == 200 and 'id="device-check"' in page.get_data(as_text=True)
    assert client.post(f"{base}/revoke").status_code == 302
    assert client.get(path).status_code == 404


def test_organizer_adds_a_panelist_with_an_unknown_zone(client, login, world, organizer):
    login(organizer)
    response = client.post(f"/manage/events/{world.event.id}/schedule/panelists", data={
        "name": "Priya Raman", "email": "priya@example.com", "timezone": "America/San_Francisco", "mode": "remote",
        "country": "US"})
    assert response.status_code == 422 and 'class="errors"' in response.get_data(as_text=True)
    response = client.post(f"/manage/events/{world.event.id}/schedule/panelists", data={
        "name": "Priya Raman", "email": "priya@example.com", "timezone": "America/Los_Angeles", "mode": "remote",
        "country": "US"})
    assert response.status_code == 302


def test_photo_upload_is_checked(client, login, world, organizer):
    import io

    from PIL import Image

    login(organizer)
    url = f"/manage/events/{world.event.id}/schedule/panelists/{world.algiers.id}/edit"
    form = {"name": "Yacine Boudiaf", "timezone": "Africa/Algiers", "mode": "remote", "country": "DZ"}
    fake = client.post(url, data={**form, "photo": (io.BytesIO(b"<svg onload=alert(1)>"), "x.png")},
                       content_type="multipart/form-data")
    assert fake.status_code == 422
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buf, "PNG")
    buf.seek(0)
    assert client.post(url, data={**form, "photo": (buf, "me.png")},
                       content_type="multipart/form-data").status_code == 302
    services.publish_schedule(world.event)
    commit()
    photo = client.get(f"/e/{world.event.slug}/panelists/{world.algiers.id}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/png"


def test_green_room_page_for_moderators(client, login, world, make_session):
    make_session(panelists=[world.algiers])
    login(world.moderator)
    html = client.get(f"/manage/events/{world.event.id}/schedule/green-room").get_data(as_text=True)
    assert "Yacine Boudiaf" in html and "greenroom.js" in html
