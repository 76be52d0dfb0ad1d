"""Stage pages and the /stage namespace without media: who may open what, bad payloads, replay with `since`,
commit before broadcast."""

from __future__ import annotations

from datetime import timedelta

from eventhub.core.db import commit
from eventhub.extensions import db, socketio
from eventhub.qa.models import QaSettings
from eventhub.schedule import services as sched
from eventhub.stage.models import ParticipantState, Stage, StageParticipant, StageRole, StageState


def _sio(app, client=None, auth=None):
    return socketio.test_client(app, namespace="/stage", flask_test_client=client, auth=auth)


def test_pages_by_key_link_ticket_and_role(app, world, stage, client, login):
    sid, key, eid = world.session.id, stage.screen_key, world.event.id
    assert client.get(f"/stage/{sid}/screen").status_code == 404
    assert client.get(f"/stage/{sid}/screen?key=wrong").status_code == 404
    page = client.get(f"/stage/{sid}/screen?key={key}")
    assert page.status_code == 200 and 'data-media="0"' in page.get_data(as_text=True)
    assert "room-secret" not in page.get_data(as_text=True)
    assert client.get(f"/stage/{sid}/room-feed?key={key}").status_code == 200
    assert client.get(f"/e/{world.event.slug}/panelist/{world.minister_link}/stage/{sid}").status_code == 200
    assert client.get(f"/e/{world.event.slug}/panelist/{world.offpanel_link}/stage/{sid}").status_code == 404
    assert client.get(f"/e/{world.event.slug}/panelist/{world.foreign_link}/stage/{sid}").status_code == 404
    assert client.get(f"/t/{world.tickets['remote']}/stage/{sid}").status_code == 200
    assert client.get(f"/t/{world.tickets['revoked']}/stage/{sid}").status_code == 404
    console = f"/manage/events/{eid}/stage/{sid}"
    assert client.get(console).status_code == 302  # sign in first
    login(world.other_moderator)
    assert client.get(console).status_code == 403
    client.post("/logout")
    login(world.moderator)
    body = client.get(console).get_data(as_text=True)
    assert "Stage screen" in body or "Écran" in body


def _stage_rows() -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(db.select(Stage.session_id, Stage.id, Stage.screen_key, Stage.state, Stage.updated_at)
                              .order_by(Stage.session_id)).all()


def test_the_pages_read_the_stage_the_session_was_created_with(world, client, login):
    """A closed stage, as the session's creation left it: every page answers without writing (the test config
    raises on a write) and the rows are unchanged, the Q&A settings beside them included."""
    before = _stage_rows()
    assert [(row.session_id, row.state) for row in before] == sorted(
        [(world.session.id, StageState.CLOSED), (world.other_session.id, StageState.CLOSED)])
    qa_before = db.session.execute(db.select(QaSettings.session_id, QaSettings.short_code)).all()
    sid, key = world.session.id, before[0].screen_key
    login(world.moderator)
    for url in (f"/stage/{sid}/screen?key={key}", f"/stage/{sid}/room-feed?key={key}",
                f"/e/{world.event.slug}/panelist/{world.minister_link}/stage/{sid}",
                f"/t/{world.tickets['remote']}/stage/{sid}", f"/manage/events/{world.event.id}/stage/{sid}"):
        assert client.get(url).status_code == 200, url
    assert _stage_rows() == before
    assert db.session.execute(db.select(QaSettings.session_id, QaSettings.short_code)).all() == qa_before


def test_a_session_without_its_stage_is_a_404_and_nothing_is_created(world, client, login):
    db.session.execute(db.delete(Stage).where(Stage.session_id == world.session.id))
    commit()
    login(world.moderator)
    console = client.get(f"/manage/events/{world.event.id}/stage/{world.session.id}",
                         headers={"Accept": "application/json"})
    assert console.status_code == 404 and console.get_json()["error"]["code"] == "stage_not_found"
    assert client.get(f"/t/{world.tickets['remote']}/stage/{world.session.id}").status_code == 404
    assert db.session.scalar(db.select(Stage).where(Stage.session_id == world.session.id)) is None


def test_socket_roles_and_refusals(app, world, stage, client, login):
    sid = world.session.id
    anon = _sio(app)
    ack = anon.emit("join", {"session_id": sid}, namespace="/stage", callback=True)
    assert ack["error"]["code"] == "not_on_this_stage"
    assert anon.emit("join", {"session_id": "x"}, namespace="/stage", callback=True)["error"]["code"] == \
        "invalid_payload"
    assert anon.emit("join", [], namespace="/stage", callback=True)["error"]["code"] == "invalid_payload"
    assert anon.emit("manage", {"session_id": sid, "action": "go_live"}, namespace="/stage",
                     callback=True)["error"]["code"] == "not_stage_manager"
    assert anon.emit("manage", {"session_id": sid, "action": "explode"}, namespace="/stage",
                     callback=True)["error"]["code"] == "invalid_payload"
    att = _sio(app, auth={"ticket": world.tickets["remote"]})
    ack = att.emit("credentials", {"session_id": sid, "publish": True, "role": "attendee"},
                   namespace="/stage", callback=True)
    assert ack["error"]["code"] == "attendee_cannot_publish"
    ack = att.emit("join", {"session_id": sid, "role": "manager"}, namespace="/stage", callback=True)
    assert ack["error"]["code"] == "not_stage_manager"
    refused = _sio(app, auth={"ticket": world.tickets["revoked"]})
    assert not refused.is_connected(namespace="/stage")
    foreign = _sio(app, auth={"panelist_token": world.foreign_link})
    ack = foreign.emit("join", {"session_id": sid}, namespace="/stage", callback=True)
    assert ack["error"]["code"] == "not_on_this_stage"
    panel = _sio(app, auth={"panelist_token": world.minister_link})
    ack = panel.emit("join", {"session_id": sid}, namespace="/stage", callback=True)
    assert ack["ok"] and ack["data"]["role"] == "panelist"
    me = ack["data"]["snapshot"]["me"]["participant_id"]
    assert "quality" not in ack["data"]["snapshot"]["participants"][0]  # managers only
    ack = panel.emit("credentials", {"session_id": sid, "publish": True}, namespace="/stage",
                     callback=True)
    assert ack["error"]["code"] == "media_unavailable"
    ack = panel.emit("manage", {"session_id": sid, "action": "bring_live", "participant_id": me},
                     namespace="/stage", callback=True)
    assert ack["error"]["code"] == "not_stage_manager"
    assert panel.emit("heartbeat", {"session_id": sid, "token": "nope"}, namespace="/stage",
                      callback=True)["error"]["code"] == "token_expired"


def test_manager_actions_broadcast_after_commit_and_replay(app, world, stage, client, login):
    sid, key = world.session.id, stage.screen_key
    login(world.moderator)
    mgr = _sio(app, client)
    viewer = _sio(app, auth={"key": key})
    ack = viewer.emit("join", {"session_id": sid, "role": "screen"}, namespace="/stage", callback=True)
    seq = ack["data"]["seq"]
    ack = mgr.emit("join", {"session_id": sid}, namespace="/stage", callback=True)
    assert ack["data"]["role"] == "manager"
    minister_id = db.session.scalar(db.select(StageParticipant.id).where(StageParticipant.role == StageRole.PANELIST))
    ack = mgr.emit("manage", {"session_id": sid, "action": "bring_live", "participant_id": minister_id},
                   namespace="/stage", callback=True)
    assert ack["ok"] and ack["data"]["participant"]["state"] == "live"
    # The broadcast reached the screen, and the database held it when it did.
    got = [m for m in viewer.get_received("/stage") if m["name"] == "stage"]
    assert got[-1]["args"][0]["participant"]["state"] == "live"
    db.session.expire_all()
    assert db.session.get(StageParticipant, minister_id).state == ParticipantState.LIVE
    ack = mgr.emit("manage", {"session_id": sid, "action": "spotlight", "participant_id": minister_id},
                   namespace="/stage", callback=True)
    assert ack["data"]["stage"]["spotlight_id"] == minister_id
    ack = mgr.emit("manage", {"session_id": sid, "action": "go_live"}, namespace="/stage", callback=True)
    assert ack["data"]["stage"]["state"] == "live"
    ack = mgr.emit("manage", {"session_id": sid, "action": "spotlight"}, namespace="/stage",
                   callback=True)
    assert ack["error"]["code"] == "invalid_payload"
    # A screen reconnecting with `since` gets exactly what it missed, in order.
    again = _sio(app, auth={"key": key})
    ack = again.emit("join", {"session_id": sid, "since": seq}, namespace="/stage", callback=True)
    kinds = [(m["kind"], m.get("participant", m.get("stage", {})).get("state")) for m in ack["data"]["missed"]]
    assert kinds == [("participant", "live"), ("stage", "open"), ("stage", "live")]
    assert db.session.scalar(db.select(Stage).where(Stage.session_id == sid)).seq == ack["data"]["seq"]


def test_refused_action_broadcasts_nothing(app, world, stage, client, login):
    sid, key = world.session.id, stage.screen_key
    login(world.other_moderator)
    mgr = _sio(app, client)
    viewer = _sio(app, auth={"key": key})
    viewer.emit("join", {"session_id": sid}, namespace="/stage", callback=True)
    viewer.get_received("/stage")
    ack = mgr.emit("manage", {"session_id": sid, "action": "go_live"}, namespace="/stage", callback=True)
    assert ack["error"]["code"] == "not_stage_manager"
    assert [m for m in viewer.get_received("/stage") if m["name"] == "stage"] == []


def test_a_break_has_no_stage_and_no_page_links_one(world, client, login):
    """A break is made without a stage: the organizers' list and the remote panelist's page link the opening's
    stage and not the break's, whose stage pages answer 404 (and make nothing)."""
    event = db.session.get(type(world.event), world.event.id)
    start = event.starts_at + timedelta(hours=4)
    pause = sched.create_session(event, sched.SessionData(
        title="Pause café", starts_at=start, ends_at=start + timedelta(minutes=30), kind="break",
        panelists=[(world.minister.id, None)]))
    sched.publish_schedule(event)
    commit()
    assert db.session.scalar(db.select(Stage).where(Stage.session_id == pause.id)) is None
    sid, eid, slug = world.session.id, world.event.id, world.event.slug
    panelist_page = client.get(f"/e/{slug}/panelist/{world.minister_link}").get_data(as_text=True)
    assert f"/stage/{sid}" in panelist_page and f"/stage/{pause.id}" not in panelist_page
    assert client.get(f"/e/{slug}/panelist/{world.minister_link}/stage/{pause.id}").status_code == 404
    assert client.get(f"/t/{world.tickets['remote']}/stage/{pause.id}").status_code == 404
    login(world.organizer)
    index = client.get(f"/manage/events/{eid}/qa").get_data(as_text=True)
    assert f"/manage/events/{eid}/stage/{sid}" in index and f"/manage/events/{eid}/stage/{pause.id}" not in index
    assert f"/manage/events/{eid}/qa/{pause.id}" in index  # its Q&A, as every session's
    assert client.get(f"/manage/events/{eid}/stage/{pause.id}").status_code == 404
    assert db.session.scalar(db.select(Stage).where(Stage.session_id == pause.id)) is None
