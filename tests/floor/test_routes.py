"""The floor's pages without JavaScript (every console button is a form), the pages that include the floor
(live page, panelist page, stage timer partial), the interpreter's link and the speaking-times API."""

from __future__ import annotations

import re

from flask import render_template_string

from eventhub.auth.services import create_api_token
from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.floor import channels, services, speeches
from eventhub.floor.models import Speaker, Speech
from eventhub.schedule import panelists as pan


def _url(floor) -> str:
    return f"/manage/events/{floor.event.id}/floor/{floor.session.id}"


def _post(client, floor, **data):
    token = client.csrf_token(_url(floor))
    return client.post(_url(floor), data={"csrf_token": token, **data})


def _speakers(floor):
    return db.session.scalars(db.select(Speaker).where(Speaker.session_id == floor.session.id)
                              .order_by(Speaker.position)).all()


def test_console_forms_run_the_floor_without_javascript(floor, csrf_client):
    assert csrf_client.post("/login", data={"email": floor.moderator.email, "password": "correct horse battery",
                                            "csrf_token": csrf_client.csrf_token("/login")}).status_code == 302
    page = csrf_client.get(_url(floor))
    assert page.status_code == 200 and "Aïssata Diallo" in page.get_data(as_text=True)
    for p in (floor.mali, floor.algeria):
        r = _post(csrf_client, floor, action="add", kind="panelist", panelist_id=str(p.id), minutes="3")
        assert r.status_code == 302
    r = _post(csrf_client, floor, action="add", kind="attendee", name="Awa <b>Cissé</b>")
    assert r.status_code == 302
    mali, algeria, awa = _speakers(floor)
    assert mali.budget_seconds == 180 and awa.name == "Awa <b>Cissé</b>"
    html = csrf_client.get(_url(floor)).get_data(as_text=True)
    assert "Awa &lt;b&gt;Cissé&lt;/b&gt;" in html and "<b>Cissé" not in html  # escaped
    _post(csrf_client, floor, action="down", speaker_id=str(mali.id))
    assert [s.name for s in _speakers(floor)][:2] == ["Yacine Boudiaf", "Aïssata Diallo"]
    _post(csrf_client, floor, action="start", speaker_id=str(algeria.id), if_current="")
    _post(csrf_client, floor, action="pause", if_current="")  # the page showed nobody: refused
    flashed = csrf_client.get(_url(floor), headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'class="flash flash-error"' in flashed
    running = db.session.scalar(db.select(Speech).where(Speech.ended_at.is_(None)))
    assert running.paused_at is None  # refused: the page was stale
    _post(csrf_client, floor, action="pause", if_current=str(running.id))
    _post(csrf_client, floor, action="resume")
    _post(csrf_client, floor, action="end")
    db.session.expire_all()
    speech = db.session.get(Speech, running.id)
    assert speech.ended_at is not None and speech.paused_seconds >= 0 and speech.delegation_name == "Algérie"
    _post(csrf_client, floor, action="remove", speaker_id=str(awa.id))
    assert len(_speakers(floor)) == 2
    _post(csrf_client, floor, action="settings", default_minutes="2", show_timer="1", hands_open="1")
    settings = services.get_settings(floor.session)
    db.session.refresh(settings)
    assert settings.default_budget_seconds == 120 and settings.show_timer_on_screen is True
    _post(csrf_client, floor, action="delegation", name="Diaspora", minutes="5")
    _post(csrf_client, floor, action="channel", language="ar", name="Leïla", email="leila@example.org")
    html = csrf_client.get(_url(floor)).get_data(as_text=True)
    assert "Diaspora" in html and "/floor/interpreter/" in html
    channel = channels.channels_of(floor.session.id)[0]
    link = channels.make_link_token(channel)
    assert f'data-action="revoke_link" data-channel="{channel.id}"' in html
    _post(csrf_client, floor, action="revoke_link", channel_id=str(channel.id))
    db.session.expire_all()
    assert channels.channel_from_token(link) is None  # the link sent so far no longer works


def test_console_refuses_bad_form_input_without_a_500(floor, client, login):
    login(floor.moderator)
    url = _url(floor)
    for data in ({"action": "teleport"}, {"action": "start", "speaker_id": "abc"},
                 {"action": "start", "speaker_id": "99999999999"}, {"action": "add", "kind": "panelist",
                                                                    "panelist_id": "7", "minutes": "-3"},
                 {"action": "add", "kind": "x"}, {"action": "accept", "hand_id": ""},
                 {"action": "revoke_link", "channel_id": "x"}, {"action": "revoke_link", "channel_id": "99999"}, {}):
        r = client.post(url, data=data)
        assert r.status_code == 302, data
    assert client.get(f"/manage/events/{floor.event.id}/floor/{floor.other.id + 1000}").status_code == 404
    assert client.get(f"/manage/events/{floor.other_event.id}/floor/{floor.session.id}").status_code == 403


def test_live_page_panelist_page_and_stage_timer_include_the_floor(app, floor, client):
    page = client.get(f"/t/{floor.tickets[0]}/qa/{floor.session.id}").get_data(as_text=True)
    assert 'id="floor-live"' in page and "floor-hand.js" in page
    token = pan.make_link_token(floor.algeria)
    page = client.get(f"/e/{floor.event.slug}/panelist/{token}").get_data(as_text=True)
    assert 'id="floor-mine"' in page and f'data-session="{floor.session.id}"' in page
    template = '{% include "floor/_timer.html" %}'
    with app.test_request_context():
        assert render_template_string(template, session=floor.session).strip() == ""
        services.update_settings(floor.session, by=floor.moderator, default_budget_seconds=None,
                                 show_timer_on_screen=True, hands_open=True)
        commit()
        assert 'id="floor-stage-timer"' in render_template_string(template, session=floor.session)


def test_interpreter_page_by_link(floor, client):
    channel = channels.add_channel(floor.session, by=floor.moderator, language="ar", interpreter_name="Leïla")
    commit()
    token = channels.make_link_token(channel)
    page = client.get(f"/floor/interpreter/{token}")
    assert page.status_code == 200 and "Leïla" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert client.get("/floor/interpreter/forged").status_code == 404
    channels.revoke_link(channel, by=floor.moderator)
    commit()
    assert client.get(f"/floor/interpreter/{token}").status_code == 404


def test_speaking_times_api(floor, client):
    _t, token = create_api_token(floor.event, floor.organizer, "report")
    mali = services.add_speaker(floor.session, by=floor.moderator, kind="panelist", panelist_id=floor.mali.id)
    speeches.start(mali, by=floor.moderator)
    speeches.end(floor.session, by=floor.moderator)
    commit()
    headers = {"Authorization": f"Bearer {token}"}
    r = client.get(f"/api/v1/events/{floor.event.id}/speaking-times", headers=headers)
    assert r.status_code == 200
    body = r.get_json()
    assert body["speakers"][0]["name"] == "Aïssata Diallo" and body["delegations"][0]["name"] == "Mali"
    assert body["sessions"][0]["session_id"] == floor.session.id
    r = client.get(f"/api/v1/events/{floor.event.id}/sessions/{floor.session.id}/speaking-times", headers=headers)
    assert r.status_code == 200 and r.get_json()["speeches"][0]["delegation"] == "Mali"
    assert {d["name"] for d in r.get_json()["delegations"]} == {"Mali", "Algérie"}
    r = client.get(f"/api/v1/events/{floor.event.id}/sessions/{floor.session.id}/speaking-times")
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthorized"
    other_session = client.get(f"/api/v1/events/{floor.event.id}/sessions/{2**31 - 1}/speaking-times",
                               headers=headers)
    assert other_session.status_code == 404 and other_session.get_json()["error"]["code"] == "session_not_found"
    assert re.match(r"\d{4}-", body["sessions"][0]["speeches"][0]["started_at"])
