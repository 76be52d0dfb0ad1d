"""The check-in dashboard shows results in words, in the reader's language, and serves its latest tables as JSON
for the live refresh."""

from __future__ import annotations

from eventhub.checkin import services as checkin
from eventhub.core.db import commit


def _login(client, user) -> None:
    assert client.post("/login", data={"email": user.email, "password": "correct horse battery"}).status_code == 302


def test_dashboard_shows_results_in_words_and_latest_json(client, qa):
    point = checkin.ensure_default_point(qa.event)[0]
    checkin.check_in(qa.ticket, by=qa.organizer, point=point)
    checkin.check_in(qa.ticket, by=qa.organizer, point=point)
    commit()
    _login(client, qa.organizer)
    html = client.get(f"/manage/events/{qa.event.id}/checkin").get_data(as_text=True)
    assert 'data-result="already_checked_in">Entrée déjà enregistrée.' in html
    assert ">already_checked_in<" not in html and ">admitted<" not in html
    assert "checkin-latest.js" in html
    data = client.get(f"/manage/events/{qa.event.id}/checkin/latest").get_json()
    assert [s["result"] for s in data["scans"]] == ["already_checked_in", "admitted"]
    assert data["scans"][0]["label"] == "Entrée déjà enregistrée." and data["scans"][0]["name"] == "Aminata Traoré"
    assert [c["name"] for c in data["checkins"]] == ["Aminata Traoré"]
    client.post("/lang", data={"lang": "en", "next": "/"})
    data = client.get(f"/manage/events/{qa.event.id}/checkin/latest").get_json()
    assert data["scans"][0]["label"] == "Already checked in."


def test_latest_is_for_organizers_only(client, qa):
    _login(client, qa.moderator)
    assert client.get(f"/manage/events/{qa.event.id}/checkin/latest").status_code == 403
