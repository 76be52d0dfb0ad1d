"""Bad input at every check-in form, JSON route, API route and socket event is answered (4xx, an error ack or a
logged refusal), never a 500 (the query counts of the dashboard and log: test_query_counts.py)."""

from __future__ import annotations

import pytest

from eventhub.checkin import services as ci
from eventhub.checkin.models import CheckIn, CheckInPoint, Scan
from eventhub.core.db import commit
from eventhub.extensions import db
from tests.checkin.helpers import API, emit, person, sock

# The route tests' world (tests/checkin/conftest.py), and no open test transaction while a request runs (SQLite
# write lock).
pytestmark = pytest.mark.usefixtures("end_test_transaction_before_requests")

HUGE = 10**30
BIG = 2**63


def _auth(w) -> dict:
    return {"Authorization": f"Bearer {w.token}"}


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


# --- the JSON API --------------------------------------------------------------------------------------------

def test_api_scan_bad_fields_are_4xx_never_500(client, world):
    w = world
    url = f"{API}/events/{w.event.id}/checkins"
    code = person(w.event).ticket.code
    cases = [
        {"code": code, "point_id": HUGE},
        {"code": code, "point_id": BIG},
        {"code": code, "point_id": -1},
        {"code": code, "point_id": "1"},
        {"code": code, "point_id": 1.5},
        {"code": code, "point_id": True},
        {"code": code, "point_id": w.point.id, "nonce": "n\x00"},
        {"code": code, "point_id": w.point.id, "nonce": 5},
        {"code": code, "point_id": w.point.id, "device_id": ["x"]},
        {"code": None, "point_id": w.point.id},
        {"code": "x" * 20_001, "point_id": w.point.id},
        [], "text", 5, None,
    ]
    for body in cases:
        response = client.post(url, json=body, headers=_auth(w))
        assert response.status_code == 422, (body if not isinstance(body, dict) else body.keys(),
                                                     response.status_code, response.get_data(as_text=True)[:300])
        assert response.get_json()["error"]["code"]
    assert _count(Scan) == 0 and _count(CheckIn) == 0
    assert client.post(url, data="\x00" * 10_240, content_type="application/json",
                       headers=_auth(w)).status_code == 422


def test_api_scan_nul_in_code_and_device_is_recorded_not_500(client, world):
    w = world
    url = f"{API}/events/{w.event.id}/checkins"
    code = person(w.event).ticket.code
    response = client.post(url, json={"code": "AB\x00CD", "point_id": w.point.id, "device_id": "dev\x00ice"},
                           headers=_auth(w))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["result"] == "unreadable"
    response = client.post(url, json={"code": code + "\x00", "point_id": w.point.id, "device_id": "\x00" * 64},
                           headers=_auth(w))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["result"] in ("admitted", "unreadable")
    devices = db.session.scalars(db.select(Scan.device_id)).all()
    assert len(devices) == 2 and not any("\x00" in d for d in devices)
    assert all("\x00" not in p for p in db.session.scalars(db.select(Scan.code_prefix)))


def test_api_sync_bad_batches(client, world):
    w = world
    url = f"{API}/events/{w.event.id}/checkins/sync"
    code = person(w.event).ticket.code
    good = {"code": code, "nonce": "d-1", "at": "2026-12-03T08:01:00+00:00", "point_id": w.point.id}
    for body in ({"scans": "nope"}, {"scans": None}, {"scans": {"0": good}}, {"scans": [good] * 10_000},
                 {"scans": [good, 5, "x", None, {}]}, {"scans": [dict(good, point_id=HUGE)]},
                 {"scans": [dict(good, nonce="\x00" * 65)]}, {"scans": [dict(good, at="yesterday")]},
                 {"scans": [dict(good, local_result="maybe")]}, {}, []):
        response = client.post(url, json=body, headers=_auth(w))
        # 10,000 items is over the request size limit (413) before it is over the schema's 500 (422).
        expected = 413 if body == {"scans": [good] * 10_000} else 422
        assert response.status_code == expected, (str(body)[:80], response.status_code)
    assert _count(Scan) == 0
    other_point = ci.ensure_default_point(w.other)[0]
    commit()
    batch = {"scans": [dict(good, point_id=other_point.id, nonce="d-2"), dict(good, nonce="d\x00"),
                       dict(good, nonce="d-3", device_id="a\x00b"), dict(good, code="\x00", nonce="d-4")]}
    response = client.post(url, json=batch, headers=_auth(w))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    results = response.get_json()["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert results[0]["ok"] is False and results[0]["error"]["code"] == "point_not_found"
    assert results[1]["ok"] is False and results[1]["error"]["code"] == "invalid_nonce"
    assert results[2]["ok"] is True and results[2]["result"] == "admitted"
    assert results[3]["ok"] is True and results[3]["result"] == "unreadable"
    assert _count(Scan) == 2 and _count(CheckIn) == 1


def test_api_log_bad_query_args(client, world):
    w = world
    url = f"{API}/events/{w.event.id}/checkins/log"
    for qs in ("limit=x", f"limit={HUGE}", f"offset={HUGE}", "limit=-5&offset=-1", "offset=%00", "double_entry=%00"):
        response = client.get(f"{url}?{qs}", headers=_auth(w))
        assert response.status_code == 200, (qs, response.status_code)
        assert 1 <= response.get_json()["limit"] <= 5000


# --- the scanner page's JSON calls -----------------------------------------------------------------------------

def test_page_routes_bad_input(client, world, login):
    w = world
    r = person(w.event)
    login(w.door_staff)
    base = f"/checkin/events/{w.event.id}"
    for body in ({"code": "x", "point_id": HUGE}, {"code": "x", "point_id": w.point.id, "nonce": "\x00"}, [], "x"):
        response = client.post(f"{base}/scan", json=body)
        assert response.status_code == 422, (body, response.status_code)
    for body in ({"scans": "x"}, {"scans": [1]}, None):
        assert client.post(f"{base}/sync", json=body).status_code == 422
    for q in ("%00", "%00%00ab", "a" * 10_240, "%ff%fe", "%25%25"):
        response = client.get(f"{base}/search?q={q}")
        assert response.status_code == 200 and isinstance(response.get_json()["items"], list), q
    url = f"{base}/registrations/{r.id}/checkin"
    for body in ({"point_id": HUGE}, {"point_id": w.point.id, "nonce": "a\x00"}, {"point_id": "1"}, [], None):
        response = client.post(url, json=body)
        assert response.status_code == 422, (body, response.status_code)
    for reg_id in (HUGE, BIG, 2**31):
        response = client.post(f"{base}/registrations/{reg_id}/checkin", json={"point_id": w.point.id})
        assert response.status_code == 404, (reg_id, response.status_code)
    assert _count(Scan) == 0


# --- the organizer's forms --------------------------------------------------------------------------------------

def test_dashboard_forms_bad_input(client, world, login):
    w = world
    login(w.organizer)
    base = f"/manage/events/{w.event.id}/checkin"
    for data in ({"name": "Porte\x00Nord", "kind": "entrance"}, {"name": "\x00", "kind": "entrance"},
                 {"name": "x" * 10_240, "kind": "entrance"}, {"name": "Salle", "kind": "nope"},
                 {"name": "Salle", "kind": "session", "agenda_session_id": str(HUGE)},
                 {"name": "Salle", "kind": "session", "agenda_session_id": "abc"}, {}):
        response = client.post(f"{base}/points", data=data)
        assert response.status_code == 302, (str(data)[:60], response.status_code)
    names = db.session.scalars(db.select(CheckInPoint.name).where(CheckInPoint.event_id == w.event.id)).all()
    assert not any("\x00" in n for n in names) and all(n.strip() for n in names)
    assert "PorteNord" in names or "Porte Nord" in names
    assert not any(len(n) > 100 for n in names)
    ids = db.session.scalars(db.select(CheckInPoint.agenda_session_id)).all()
    assert HUGE not in ids
    for point_id in (HUGE, BIG, 2**31):
        assert client.post(f"{base}/points/{point_id}/archive").status_code == 404
        assert client.post(f"{base}/{point_id}/undo").status_code == 404
    assert client.post(f"{base}/settings", data={"remote_upgrade": "\x00" * 100}).status_code == 302
    assert client.get(base).status_code == 200


# --- sockets ------------------------------------------------------------------------------------------------------

def test_socket_bad_payloads_are_error_acks(app, client, world, login, caplog):
    code = person(world.event).ticket.code
    event_id, point_id = world.event.id, world.point.id
    login(world.door_staff)
    sio = sock(app, client, {"event_id": event_id})
    assert sio.is_connected("/checkin")
    bad_scans = [
        {"event_id": HUGE, "point_id": point_id, "code": code},
        {"event_id": event_id, "point_id": HUGE, "code": code},
        {"event_id": event_id, "point_id": point_id, "code": code, "nonce": "\x00"},
        {"event_id": event_id, "point_id": point_id, "code": code, "extra": 1},
        [event_id, point_id, code], "x" * 10_240,
    ]
    for bad in bad_scans:
        ack = emit(app, sio, "scan", bad)
        assert ack["ok"] is False and ack["error"]["code"] in ("invalid_payload", "point_not_found",
                                                               "invalid_nonce", "event_not_found"), (str(bad)[:60], ack)
    for bad in ({"event_id": HUGE}, {"event_id": "1"}, [1], None, 7):
        ack = emit(app, sio, "join", bad)
        assert ack["ok"] is False and ack["error"]["code"] in ("invalid_payload", "event_not_found"), (bad, ack)
    ack = emit(app, sio, "scan", {"event_id": event_id, "point_id": point_id, "code": "AB\x00",
                                  "device_id": "d\x00"})
    assert ack["ok"] is True and ack["data"]["result"] == "unreadable", ack
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    sio.disconnect(namespace="/checkin")
    assert not sock(app, client, {"event_id": HUGE}).is_connected("/checkin")


@pytest.mark.parametrize("point_id", [HUGE, BIG, 2**31, 0, -1, "1", None, 1.0])
def test_get_point_refuses_odd_ids(world, point_id):
    from eventhub.core.errors import NotFound

    with pytest.raises(NotFound):
        ci.get_point(world.event, point_id)
