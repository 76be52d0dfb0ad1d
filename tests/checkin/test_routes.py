"""Check-in over HTTP (scanner page JSON with CSRF, API with a token) and over Socket.IO; bad input."""

from __future__ import annotations

import base64
import csv
import io

import pytest

from eventhub.checkin import services as ci
from eventhub.checkin.models import CheckIn, Scan
from eventhub.core.db import commit
from eventhub.core.loops import drain_all
from eventhub.extensions import db
from tests.checkin.helpers import API, api_scan, emit, person, sock

pytestmark = pytest.mark.usefixtures("end_test_transaction_before_requests")


# --- bad input through the API ----------------------------------------------------------------------------------

def _tamper(code: str) -> str:
    raw = bytearray(base64.b32decode(code + "=" * (-len(code) % 8)))
    raw[20] ^= 0xFF
    return base64.b32encode(bytes(raw)).decode().rstrip("=")


def test_bad_codes_are_answered_and_logged(client, world):
    w = world
    good = person(w.event).ticket.code
    cases = {
        "garbage": ("<<<not a ticket>>>", "unreadable"),
        "empty": ("", "unreadable"),
        "ten_kb": ("A" * 10_240, "unreadable"),
        "truncated": (good[:100], "unreadable"),
        "tampered": (_tamper(good), "forged"),
        "other_event": (person(w.other).ticket.code, "wrong_event"),
        "lower_case_with_spaces": (f"  {good.lower()}\n", "admitted"),  # what a keyboard wedge may send
    }
    for label, (code, expected) in cases.items():
        response = api_scan(client, w, code)
        assert response.status_code == 200, (label, response.get_data(as_text=True)[:300])
        body = response.get_json()
        assert body["result"] == expected, (label, body)
        assert "Server-Timing" in response.headers
        if expected == "wrong_event":
            assert body["attendee"] is None
    rows = db.session.scalars(db.select(Scan)).all()
    assert len(rows) == len(cases)
    assert all(len(s.code_prefix) <= 16 for s in rows)


def test_bad_bodies_are_422_and_unknown_points_404(client, world):
    w = world
    headers = {"Authorization": f"Bearer {w.token}"}
    url = f"{API}/events/{w.event.id}/checkins"
    assert client.post(url, data="nope", headers=headers).status_code == 422
    assert client.post(url, json={"code": 5, "point_id": w.point.id}, headers=headers).status_code == 422
    assert client.post(url, json={"code": "x", "point_id": w.point.id, "nonce": "n" * 65},
                       headers=headers).status_code == 422
    other_point = ci.ensure_default_point(w.other)[0]
    commit()
    response = client.post(url, json={"code": "x", "point_id": other_point.id}, headers=headers)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "point_not_found"
    assert client.post(url, json={"code": "x", "point_id": w.point.id}).status_code == 401


def test_api_nonce_retry_and_log(client, world):
    w = world
    code = person(w.event).ticket.code
    first = api_scan(client, w, code, nonce="abc").get_json()
    retry = api_scan(client, w, code, nonce="abc").get_json()
    second = api_scan(client, w, code, nonce="def").get_json()
    assert (first["result"], retry["result"], retry["replayed"]) == ("admitted", "admitted", True)
    assert second["result"] == "already_checked_in" and second["first"]["checkin_id"] == first["checkin_id"]
    log = client.get(f"{API}/events/{w.event.id}/checkins/log",
                     headers={"Authorization": f"Bearer {w.token}"}).get_json()
    assert [i["result"] for i in log["items"]] == ["already_checked_in", "admitted"]


def test_api_sync_replayed_batch_changes_nothing(client, world):
    w = world
    a, b = person(w.event), person(w.event)
    batch = {"scans": [
        {"code": a.ticket.code, "nonce": "dev1-1", "at": "2026-12-03T08:01:00+00:00", "point_id": w.point.id,
         "device_id": "dev1", "local_result": "admitted"},
        {"code": b.ticket.code, "nonce": "dev1-2", "at": "2026-12-03T08:02:00+00:00", "point_id": w.point.id,
         "device_id": "dev1", "local_result": "admitted"},
    ]}
    url, headers = f"{API}/events/{w.event.id}/checkins/sync", {"Authorization": f"Bearer {w.token}"}
    first = client.post(url, json=batch, headers=headers).get_json()["results"]
    again = client.post(url, json=batch, headers=headers).get_json()["results"]
    assert [r["result"] for r in first] == [r["result"] for r in again] == ["admitted", "admitted"]
    assert all(r["replayed"] for r in again)
    assert db.session.scalar(db.select(db.func.count()).select_from(Scan)) == 2
    assert db.session.scalar(db.select(db.func.count()).select_from(CheckIn)) == 2
    naive = {"scans": [dict(batch["scans"][0], nonce="n3", at="2026-12-03T08:01:00")]}
    assert client.post(url, json=naive, headers=headers).status_code == 422


# --- the scanner page's JSON calls ------------------------------------------------------------------------------

def test_page_scan_needs_csrf_and_the_role(app, csrf_client, world, login):
    w = world
    code = person(w.event).ticket.code
    csrf_client.post("/login", data={"email": w.moderator.email, "password": "correct horse battery",
                                     "csrf_token": csrf_client.csrf_token("/login")})
    assert csrf_client.get(f"/checkin/events/{w.event.id}/scan").status_code == 403  # a moderator is not door staff
    csrf_client.post("/logout", data={"csrf_token": csrf_client.csrf_token(f"/e/{w.event.slug}")})
    csrf_client.post("/login", data={"email": w.door_staff.email, "password": "correct horse battery",
                                     "csrf_token": csrf_client.csrf_token("/login")})
    token = csrf_client.csrf_token(f"/checkin/events/{w.event.id}/scan")
    url = f"/checkin/events/{w.event.id}/scan"
    no_token = csrf_client.post(url, json={"code": code, "point_id": w.point.id})
    assert no_token.status_code == 400
    ok = csrf_client.post(url, json={"code": code, "point_id": w.point.id}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200 and ok.get_json()["result"] == "admitted"


def test_scanner_without_role_is_refused(client, world, login, make_user):
    w = world
    login(w.moderator)
    code = person(w.event).ticket.code
    for method, url, body in (("POST", f"/checkin/events/{w.event.id}/scan", {"code": code, "point_id": w.point.id}),
                              ("POST", f"/checkin/events/{w.event.id}/sync", {"scans": []}),
                              ("GET", f"/checkin/events/{w.event.id}/snapshot", None),
                              ("GET", f"/checkin/events/{w.event.id}/search?q=ami", None)):
        assert client.open(url, method=method, json=body).status_code == 403, url
    assert db.session.scalar(db.select(db.func.count()).select_from(Scan)) == 0


def test_search_snapshot_and_one_tap_checkin(client, world, login):
    w = world
    r = person(w.event, name="Fatoumata Diarra")
    login(w.door_staff)
    items = client.get(f"/checkin/events/{w.event.id}/search?q=fatou").get_json()["items"]
    assert [i["name"] for i in items] == ["Fatoumata Diarra"] and "@" not in str(items)
    assert client.get(f"/checkin/events/{w.event.id}/search?q=x%00" + "y" * 500).status_code == 200
    snap = client.get(f"/checkin/events/{w.event.id}/snapshot")
    assert snap.status_code == 200 and "@" not in snap.get_data(as_text=True)
    assert client.get(f"/checkin/events/{w.event.id}/snapshot",
                      headers={"If-None-Match": snap.headers["ETag"]}).status_code == 304
    url = f"/checkin/events/{w.event.id}/registrations/{r.id}/checkin"
    assert client.post(url, json={"point_id": w.point.id}).get_json()["result"] == "admitted"
    assert client.post(url, json={"point_id": w.point.id}).get_json()["result"] == "already_checked_in"
    changed = client.get(f"/checkin/events/{w.event.id}/snapshot", headers={"If-None-Match": snap.headers["ETag"]})
    assert changed.status_code == 200  # checked-in state changed the copy
    other = person(w.other)
    assert client.post(f"/checkin/events/{w.event.id}/registrations/{other.id}/checkin",
                       json={"point_id": w.point.id}).status_code == 404


def test_scanner_page_and_pwa_files(client, world, login):
    w = world
    login(w.door_staff)
    html = client.get(f"/checkin/events/{w.event.id}/scan").get_data(as_text=True)
    assert "checkin-scanner.js" in html and 'rel="manifest"' in html
    sw = client.get("/checkin/sw.js")
    assert sw.headers["Service-Worker-Allowed"] == "/checkin/" and sw.mimetype == "text/javascript"
    manifest = client.get("/checkin/manifest.webmanifest?start=/checkin/events/1/scan").get_json()
    assert manifest["scope"] == "/checkin/" and manifest["start_url"] == "/checkin/events/1/scan"
    evil = client.get("/checkin/manifest.webmanifest?start=https://evil.example/").get_json()
    assert evil["start_url"] == "/checkin/"


# --- organizer: dashboard, undo, export -------------------------------------------------------------------------

def test_dashboard_undo_and_csv_export(client, world, login):
    w = world
    r = person(w.event, name="أمينة بوزيد")
    result = ci.check_in(r.ticket.code, by=w.door_staff, point=w.point)
    ci.check_in("garbage", by=w.door_staff, point=w.point)
    commit()
    login(w.organizer)
    page = client.get(f"/manage/events/{w.event.id}/checkin").get_data(as_text=True)
    assert "أمينة بوزيد" in page
    assert client.post(f"/manage/events/{w.event.id}/checkin/{result.checkin.id}/undo").status_code == 302
    db.session.expire_all()
    assert db.session.get(CheckIn, result.checkin.id).undone_at is not None
    response = client.get(f"/manage/events/{w.event.id}/checkin/log.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert {row["result"] for row in rows} == {"admitted", "unreadable"}
    assert [row["undone"] for row in rows if row["result"] == "admitted"] == ["True"]
    assert client.post(f"/manage/events/{w.event.id}/checkin/points",
                       data={"name": "Salle 2", "kind": "session", "requires_entry": "y"}).status_code == 302
    assert any(p.name == "Salle 2" and p.requires_entry for p in ci.points_for(w.event))
    assert client.post(f"/manage/events/{w.event.id}/checkin/settings",
                       data={"remote_upgrade": "y"}).status_code == 302
    assert ci.remote_upgrade_allowed(w.event)


# --- sockets ----------------------------------------------------------------------------------------------------
# Each socket call runs in a fresh app context, as each event does in the server (otherwise the test's own
# context, with its logged-in user and session, would leak into the handlers).

def test_socket_refuses_anonymous_and_other_roles(app, client, world, login):
    event_id, moderator_user = world.event.id, world.moderator
    login(moderator_user)
    for auth in (None, "x" * 10_000, {"event_id": "1"}, {"event_id": True}, {}):
        assert not sock(app, client, auth).is_connected("/checkin"), auth
    moderator = sock(app, client, {"event_id": event_id})
    assert not moderator.is_connected("/checkin")
    anonymous = sock(app, app.test_client(), {"event_id": event_id})
    assert not anonymous.is_connected("/checkin")


def test_socket_scan_counters_and_bad_payloads(app, client, world, login):
    code = person(world.event).ticket.code
    event_id, other_id, point_id = world.event.id, world.other.id, world.point.id
    login(world.door_staff)
    sio = sock(app, client, {"event_id": event_id})
    assert sio.is_connected("/checkin")
    join = emit(app, sio, "join", {"event_id": event_id})
    assert join["ok"] and join["data"]["checked_in"] == 0  # the snapshot on (re)join
    for bad in ("nope", 5, None, {}, {"event_id": event_id}, {"event_id": event_id, "point_id": "x", "code": 1}):
        ack = emit(app, sio, "scan", bad)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", (bad, ack)
    ack = emit(app, sio, "scan", {"event_id": other_id, "point_id": point_id, "code": code})
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    ack = emit(app, sio, "scan", {"event_id": event_id, "point_id": point_id, "code": code, "nonce": "s1"})
    assert ack["ok"] is True and ack["data"]["result"] == "admitted"
    assert drain_all(app) == 1  # one event's counters, computed once for the scan
    counters = [m for m in sio.get_received("/checkin") if m["name"] == "counters"]
    assert counters and counters[-1]["args"][0]["checked_in"] == 1
    join = emit(app, sio, "join", {"event_id": event_id})
    assert join["ok"] and join["data"]["checked_in"] == 1
    sio.disconnect(namespace="/checkin")
