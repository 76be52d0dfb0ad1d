"""The live dashboard: snapshot figures, a constant number of queries, pushes after check-ins and questions,
organizer-only, and read-only share links that can be revoked."""

from __future__ import annotations

import time
from functools import partial

import pytest

from eventhub.checkin import services as checkin
from eventhub.core.db import commit
from eventhub.extensions import db, socketio
from eventhub.qa import participants as pt
from eventhub.qa import services as qa
from eventhub.registration import services as reg
from eventhub.report import dashboard, services
from eventhub.report.data import collect
from eventhub.schedule import services as sched
from eventhub.signals import dashboard_collect
from tests.helpers import QueryCounter
from tests.socket_clients import signed_in

NS = "/report"


@pytest.fixture
def connect(socket_clients):
    return partial(socket_clients, NS)


def _wait_for(client, predicate, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for packet in client.get_received(NS):
            if packet["name"] == "dashboard" and predicate(packet["args"][0]):
                return packet["args"][0]
        socketio.sleep(0.05)
    raise AssertionError("no matching dashboard snapshot in time")


def test_snapshot_figures(rt):
    snap = dashboard.snapshot(rt.event)
    assert snap["registered"] == {"in_person": 7, "remote": 3, "total": 10}
    assert snap["checked_in"] == 6
    assert {r["country"]: r["checked_in"] for r in snap["by_country"]} == {"ML": 3, "DZ": 3, "SN": 0, "FR": 0}
    s1 = next(s for s in snap["sessions"] if s["id"] == rt.s1.id)
    assert (s1["questions"], s1["pending"], s1["poll_voters"], s1["in_room"]) == (4, 0, 5, 3)
    assert snap["scanners"][0]["online"] in (True, False)
    assert snap["provided"] == []


def test_the_floor_can_add_the_current_speaker(rt):
    def floor(event, **_kw):
        return [{"key": "speaker", "title": "À la tribune", "rows": [["Aïssata Diallo", "Mali", "02:30"]]}]

    dashboard_collect.connect(floor)
    try:
        snap = dashboard.snapshot(rt.event)
    finally:
        dashboard_collect.disconnect(floor)
    assert snap["provided"] == [{"key": "speaker", "title": "À la tribune", "rows": [["Aïssata Diallo", "Mali",
                                                                                    "02:30"]]}]


def test_snapshot_queries_do_not_grow_with_rows(rt, make_user):
    def count(fn) -> int:
        db.session.expire_all()
        with QueryCounter() as counter:
            fn(rt.event)
        return counter.n

    before_dash, before_report = count(dashboard.snapshot), count(collect)
    for i in range(25):
        reg.register(rt.event, reg.RegistrationData(name=f"Extra {i}", email=f"extra{i}@example.org", country="CI",
                                                    mode="remote", consent=True))
    for i in range(5):
        sched.create_session(rt.event, sched.SessionData(
            title=f"Extra session {i}", starts_at=rt.event.starts_at, ends_at=rt.event.ends_at, kind="panel"))
    sched.publish_schedule(rt.event)
    commit()
    assert count(dashboard.snapshot) == before_dash
    assert count(collect) <= before_report + 2  # constant in rows (the sessions query's eager loads)
    assert before_dash <= 15 and before_report <= 25


def test_dashboard_pushes_a_checkin_and_a_question(app, rt, connect, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_DASHBOARD_DELAY", 0)
    client = connect({"event_id": rt.event.id}, http=signed_in(app, rt.organizer))
    assert client.is_connected(NS)
    with app.app_context():
        ack = client.emit("join", {}, namespace=NS, callback=True)
    assert ack["ok"] and ack["data"]["checked_in"] == 6
    newcomer = reg.register(rt.event, reg.RegistrationData(name="Awa Sangaré", email="awa@example.org",
                                                          country="ML", mode="in_person", consent=True))
    commit()
    checkin.check_in(newcomer.registration.ticket.code, by=rt.organizer, point=rt.entrance)
    commit()
    _wait_for(client, lambda d: d["checked_in"] == 7)
    qa.ask(rt.s2, pt.from_ticket(newcomer.registration.ticket.code), "Et la cybersécurité ?")
    commit()
    snap = _wait_for(client, lambda d: any(s["id"] == rt.s2.id and s["pending"] == 1 for s in d["sessions"]))
    assert next(s for s in snap["sessions"] if s["id"] == rt.s2.id)["questions"] == 2


def test_only_organizers_or_a_live_share_connect(app, rt, connect):
    assert not connect({"event_id": rt.event.id}).is_connected(NS)  # anonymous
    assert not connect({"event_id": rt.event.id}, http=signed_in(app, rt.moderator)).is_connected(NS)
    assert not connect({"event_id": "1"}, http=signed_in(app, rt.organizer)).is_connected(NS)
    assert not connect({"share": "forged.token"}).is_connected(NS)
    share = services.create_share(rt.event, "Ambassade d'Algérie", by=rt.organizer)
    commit()
    token = services.share_token(share)
    viewer = connect({"share": token})
    assert viewer.is_connected(NS)
    with app.app_context():
        assert viewer.emit("join", {}, namespace=NS, callback=True)["ok"]
    page = app.test_client().get(f"/dashboard/{token}")
    assert page.status_code == 200 and "Tableau de bord en direct" in page.get_data(as_text=True)
    organizer = signed_in(app, rt.organizer)
    assert organizer.post(f"/manage/events/{rt.event.id}/dashboard/shares/{share.id}/revoke").status_code == 302
    deadline = time.monotonic() + 10
    while viewer.is_connected(NS) and time.monotonic() < deadline:  # cut off within moments
        socketio.sleep(0.05)
    assert not viewer.is_connected(NS)
    assert app.test_client().get(f"/dashboard/{token}").status_code == 404
    assert not connect({"share": token}).is_connected(NS)


def test_dashboard_page_for_organizers(app, rt):
    client = signed_in(app, rt.organizer)
    page = client.get(f"/manage/events/{rt.event.id}/dashboard")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "report-dashboard.js" in html and "Panel 1 — Infrastructures" in html
    assert signed_in(app, rt.moderator).get(f"/manage/events/{rt.event.id}/dashboard").status_code == 403
    assert client.post(f"/manage/events/{rt.event.id}/dashboard/shares", data={"label": ""}).status_code == 302
