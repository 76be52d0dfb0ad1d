"""The green room over Socket.IO: panelists arriving (link token in `auth`), staff watching (session cookie)."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from eventhub.core.db import commit
from eventhub.extensions import db, socketio
from eventhub.schedule import panelists as pan
from eventhub.schedule.models import Panelist
from tests.schedule.conftest import utc

NS = "/greenroom"


def staff_socket(app, client):
    return socketio.test_client(app, namespace=NS, flask_test_client=client)


def presence_events(sock) -> list[dict]:
    return [e["args"][0] for e in sock.get_received(NS) if e["name"] == "presence"]


@time_machine.travel(utc(8), tick=False)
def test_moderator_sees_a_panelist_arrive_live_and_a_later_moderator_gets_the_snapshot(app, client, login, world,
                                                                                     make_session):
    make_session("Ouverture officielle", utc(9, 15), utc(9, 45), panelists=[world.algiers, world.bamako],
                 moderators=[world.moderator])
    event_id, algiers, bamako = world.event.id, world.algiers.id, world.bamako.id
    token, moderator_email = pan.make_link_token(world.algiers), world.moderator.email
    login(world.moderator)
    mod = staff_socket(app, client)
    assert mod.is_connected(NS)
    ack = mod.emit("watch", {"event_id": event_id}, namespace=NS, callback=True)
    assert ack["ok"] is True, ack
    people = {p["panelist_id"]: p["arrived"] for p in ack["data"]["sessions"][0]["panelists"]}
    assert people == {algiers: False, bamako: False}

    panelist = socketio.test_client(app, namespace=NS, auth={"token": token})
    assert panelist.is_connected(NS)
    [event] = presence_events(mod)
    assert event["panelist_id"] == algiers and event["arrived"] is True
    me = panelist.emit("me", {}, namespace=NS, callback=True)
    assert me["ok"] and me["data"]["arrived"] is True
    # a panelist cannot watch the green room
    assert panelist.emit("watch", {"event_id": event_id}, namespace=NS, callback=True)["ok"] is False
    panelist.disconnect(namespace=NS)

    # a second connection the same day is no news: nothing broadcast
    again = socketio.test_client(app, namespace=NS, auth={"token": token})
    assert again.is_connected(NS) and presence_events(mod) == []
    again.disconnect(namespace=NS)

    # a moderator connecting later sees who arrived (stored in the database)
    late_client = app.test_client()
    late_client.post("/login", data={"email": moderator_email, "password": "correct horse battery"})
    late = staff_socket(app, late_client)
    snapshot = late.emit("watch", {"event_id": event_id}, namespace=NS, callback=True)
    people = {p["panelist_id"]: p["arrived"] for p in snapshot["data"]["sessions"][0]["panelists"]}
    assert people == {algiers: True, bamako: False}
    mod.disconnect(namespace=NS)
    late.disconnect(namespace=NS)


def test_opening_the_page_over_http_broadcasts_no_arrival(app, client, login, world, make_session):
    """A GET writes nothing: a mail client's link preview must not mark the panelist arrived (the page's own
    green-room join does)."""
    make_session("Session 1", utc(10), utc(11), panelists=[world.sf])
    with time_machine.travel(utc(8), tick=False):  # the link was sent the same morning
        url, sf = f"/e/{world.event.slug}/panelist/{pan.make_link_token(world.sf)}", world.sf.id
    event_id = world.event.id
    login(world.moderator)
    mod = staff_socket(app, client)
    mod.emit("watch", {"event_id": event_id}, namespace=NS, callback=True)
    with time_machine.travel(utc(9), tick=False):
        assert app.test_client().get(url).status_code == 200
    assert presence_events(mod) == []
    assert db.session.get(Panelist, sf).arrived_at is None
    mod.disconnect(namespace=NS)


def test_bad_payloads_get_error_acks(app, client, login, world):
    login(world.moderator)
    mod = staff_socket(app, client)
    for payload in (None, "event", [], {"event_id": "1"}, {"event_id": -1}, {"event_id": 1, "x": 2}):
        ack = mod.emit("watch", payload, namespace=NS, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", payload
    ack = mod.emit("watch", {"event_id": 999_999}, namespace=NS, callback=True)
    assert ack["error"]["code"] == "event_not_found"
    ack = mod.emit("me", {}, namespace=NS, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    mod.disconnect(namespace=NS)


def test_who_may_connect(app, world, make_session):
    make_session(panelists=[world.algiers])
    token, panelist_id = pan.make_link_token(world.algiers), world.algiers.id
    anonymous = socketio.test_client(app, namespace=NS)
    assert not anonymous.is_connected(NS)
    for bad in ("garbage", token[:-2] + "zz", 42):
        sock = socketio.test_client(app, namespace=NS, auth={"token": bad})
        assert not sock.is_connected(NS) or bad == 42  # a non-string token is just no token
    with time_machine.travel(utc(9) + timedelta(days=40), tick=False):
        assert not socketio.test_client(app, namespace=NS, auth={"token": token}).is_connected(NS)
    from eventhub.extensions import db
    from eventhub.schedule.models import Panelist

    pan.revoke_links(db.session.get(Panelist, panelist_id))
    commit()
    assert not socketio.test_client(app, namespace=NS, auth={"token": token}).is_connected(NS)


def test_someone_outside_the_event_cannot_watch(app, client, login, world, make_user):
    event_id = world.event.id
    login(make_user("curieux@example.org", "Curieux"))
    sock = staff_socket(app, client)
    ack = sock.emit("watch", {"event_id": event_id}, namespace=NS, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "not_moderator"
    sock.disconnect(namespace=NS)
