"""Q&A pages: attendee page (public, ticket link), join link and QR, projector, console, participant keys."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.qa import services
from eventhub.qa.models import QaSettings
from eventhub.schedule.models import AgendaSession


def _settings(qa):
    return services.get_settings(db.session.get(AgendaSession, qa.session.id))


def test_attendee_pages(client, qa):
    page = client.get(f"/qa/{qa.session.id}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-cache"  # revalidated (ETag)
    html = page.get_data(as_text=True)
    assert f'data-session="{qa.session.id}"' in html and "qa-attendee.js" in html and "<script>" not in html
    ticket_page = client.get(f"/t/{qa.ticket}/qa/{qa.session.id}").get_data(as_text=True)
    assert f'data-ticket="{qa.ticket}"' in ticket_page and "Aminata Traoré" in ticket_page
    assert client.get(f"/t/{qa.other_ticket}/qa/{qa.session.id}").status_code == 404  # another event's ticket
    assert client.get(f"/t/GARBAGE/qa/{qa.session.id}").status_code == 404
    assert client.get("/qa/999999").status_code == 404


def test_unpublished_session_is_not_shown(client, qa, make_event):
    from datetime import timedelta

    from eventhub.schedule import services as sched

    event = db.session.get(type(qa.event), qa.event.id)
    draft = sched.create_session(event, sched.SessionData(
        title="Brouillon", starts_at=event.starts_at + timedelta(hours=4),
        ends_at=event.starts_at + timedelta(hours=4, minutes=30)))
    commit()
    assert client.get(f"/qa/{draft.id}").status_code == 404
    assert client.get(f"/qa/{draft.id}/screen").status_code == 404


def test_short_link_and_scannable_qr(client, qa):
    settings = _settings(qa)
    response = client.get(f"/q/{settings.short_code}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/qa/{qa.session.id}")
    assert client.get("/q/unknown").status_code == 404
    svg = client.get(f"/qa/{qa.session.id}/qr.svg")
    assert svg.mimetype == "image/svg+xml"
    # Decode it with an independent decoder: rasterise the SVG's runs ourselves.
    import re

    text = svg.get_data(as_text=True)
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', text).group(1))
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)", text):
        x, y, w = int(x), int(y), int(w)
        image.paste(0, (x * scale, y * scale, (x + w) * scale, (y + 1) * scale))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(buffer.getvalue())))
    assert decoded and decoded[0].text.endswith(f"/q/{settings.short_code}")


def test_projector_screen_has_no_controls(client, qa):
    html = client.get(f"/qa/{qa.session.id}/screen").get_data(as_text=True)
    assert "qa-screen.js" in html and "<svg" in html and "<button" not in html and "<form" not in html


def test_console_for_moderators_only(client, qa, login):
    url = f"/manage/events/{qa.event.id}/qa/{qa.session.id}"
    assert client.get(url).status_code == 302  # sign in first
    login(qa.moderator)
    html = client.get(url).get_data(as_text=True)
    assert "qa-moderator.js" in html and "Nadia Hamidi" in html
    assert client.get(f"/manage/events/{qa.event.id}/qa").status_code == 200
    assert client.get(f"/manage/events/{qa.event.id}/qa/999999").status_code == 404


def test_console_refused_to_others(app, qa):
    http = app.test_client()
    http.post("/login", data={"email": qa.outsider.email, "password": "correct horse battery"})
    assert http.get(f"/manage/events/{qa.event.id}/qa/{qa.session.id}").status_code == 403


def test_participant_key_only_when_allowed(client, qa):
    response = client.get(f"/qa/{qa.session.id}/participant")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "anonymous_not_allowed"
    settings = _settings(qa)
    services.update_settings(settings, moderation="pre", is_open=True, anonymous_allowed=True)
    commit()
    first = client.get(f"/qa/{qa.session.id}/participant").get_json()["participant"]
    again = client.get(f"/qa/{qa.session.id}/participant").get_json()["participant"]
    other_device = client.application.test_client().get(f"/qa/{qa.session.id}/participant").get_json()
    assert first == again != other_device["participant"]  # one key per device (issue 9 item 5)


def test_session_and_panelist_pages_link_to_the_qa(client, qa):
    html = client.get(f"/e/{qa.event.slug}/agenda/{qa.session.id}").get_data(as_text=True)
    assert f"/qa/{qa.session.id}" in html
    html = client.get(f"/e/{qa.event.slug}/panelist/{qa.panelist_token}").get_data(as_text=True)
    assert 'id="qa-panel"' in html and f'data-session="{qa.session.id}"' in html and "qa-panelist.js" in html


def _settings_rows() -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(db.select(QaSettings.session_id, QaSettings.short_code, QaSettings.updated_at)
                              .order_by(QaSettings.session_id)).all()


def test_the_pages_read_the_settings_the_session_was_created_with(client, qa, login):
    """A GET writes nothing (the test config raises on a write, which would be a 500); the rows are the ones
    made with the sessions, unchanged."""
    before = _settings_rows()
    assert [row.session_id for row in before] == sorted([qa.session.id, qa.other_session.id])
    sid = qa.session.id
    login(qa.moderator)
    for url in (f"/qa/{sid}", f"/t/{qa.ticket}/qa/{sid}", f"/qa/{sid}/qr.svg", f"/qa/{sid}/screen",
                f"/manage/events/{qa.event.id}/qa/{sid}"):
        assert client.get(url).status_code == 200, url
    assert client.get(f"/qa/{sid}/participant").status_code == 409  # read: anonymous not allowed
    assert _settings_rows() == before


def test_a_session_without_its_settings_is_a_404_and_nothing_is_created(client, qa):
    db.session.execute(db.delete(QaSettings).where(QaSettings.session_id == qa.session.id))
    commit()
    page = client.get(f"/qa/{qa.session.id}", headers={"Accept": "application/json"})
    assert page.status_code == 404 and page.get_json()["error"]["code"] == "qa_not_found"
    assert client.get(f"/qa/{qa.session.id}/screen").status_code == 404
    assert db.session.get(QaSettings, qa.session.id) is None
