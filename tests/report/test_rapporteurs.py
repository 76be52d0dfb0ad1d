"""Rapporteurs: who may write, drafts never silently overwritten, questions pulled into the summary, bad input."""

from __future__ import annotations

import threading

import pytest

from eventhub.auth.models import User
from eventhub.core.db import commit
from eventhub.core.errors import Forbidden, ValidationFailed
from eventhub.extensions import db
from eventhub.report import services
from eventhub.report.models import SessionSummary
from eventhub.report.services import RecommendationData, SummaryConflict
from eventhub.schedule.models import AgendaSession


def _login(app, user):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    assert response.status_code == 302
    return client


def _url(rt, session, tail=""):
    return f"/manage/events/{rt.event.id}/rapporteur/{session.id}{tail}"


def test_a_rapporteur_of_another_session_is_refused(app, rt):
    with pytest.raises(Forbidden) as exc:
        services.save_summary(rt.s1, "pirate", base_version=1, by=rt.other_rapporteur)
    assert exc.value.code == "not_rapporteur"
    client = _login(app, rt.other_rapporteur)
    assert client.get(_url(rt, rt.s1)).status_code == 403
    response = client.post(_url(rt, rt.s1, "/autosave"), json={"text": "pirate", "version": 1})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_rapporteur"
    assert client.post(_url(rt, rt.s1, "/recommendations"), data={
        "title": "x", "domain": "fibre", "actor": "both"}).status_code == 403
    assert client.get(_url(rt, rt.s2)).status_code == 200  # their own session
    # A moderator (no rapporteur role) does not get in at all.
    assert _login(app, rt.moderator).get(_url(rt, rt.s1)).status_code == 403


def test_two_rapporteurs_at_once_get_a_conflict_with_both_texts(app, rt):
    one, two = _login(app, rt.rapporteur), _login(app, rt.rapporteur2)
    base = one.get(_url(rt, rt.s1)).status_code
    assert base == 200
    first = one.post(_url(rt, rt.s1, "/autosave"), json={"text": "Texte A", "version": 1})
    assert first.status_code == 200 and first.get_json()["version"] == 2
    second = two.post(_url(rt, rt.s1, "/autosave"), json={"text": "Texte B", "version": 1})
    assert second.status_code == 409
    body = second.get_json()
    assert body["error"]["code"] == "summary_conflict"
    assert body["current"] == {"text": "Texte A", "version": 2, "by": "Rapporteur Un"}
    # Merged and saved on top of version 2: nothing lost.
    third = two.post(_url(rt, rt.s1, "/autosave"), json={"text": "Texte A\nTexte B", "version": 2})
    assert third.status_code == 200 and third.get_json()["version"] == 3
    # The no-JS form with a stale version shows both texts (409), the stored text unchanged.
    page = one.post(_url(rt, rt.s1), data={"text": "Texte C", "version": "2"})
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert "Texte A\nTexte B" in html and "Texte C" in html

    db.session.expire_all()
    assert db.session.get(SessionSummary, rt.s1.id).text == "Texte A\nTexte B"


def test_racing_saves_on_the_same_version_let_exactly_one_win(app, rt):
    results: list[str] = []
    barrier = threading.Barrier(2)

    def save(user_id: int, text: str) -> None:
        with app.app_context():

            user = db.session.get(User, user_id)
            session = db.session.get(AgendaSession, rt.s1.id)
            barrier.wait(timeout=10)
            try:
                services.save_summary(session, text, base_version=1, by=user)
                commit()
                results.append("ok")
            except SummaryConflict:
                db.session.rollback()
                results.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=save, args=(u.id, t)) for u, t in ((rt.rapporteur, "A"),
                                                                           (rt.rapporteur2, "B"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["conflict", "ok"]
    db.session.expire_all()
    assert db.session.get(SessionSummary, rt.s1.id).version == 2


def test_no_js_save_and_pulling_a_question(app, rt):
    client = _login(app, rt.rapporteur)
    response = client.post(_url(rt, rt.s1), data={"text": "Synthèse sans JavaScript", "version": "1"})
    assert response.status_code == 302
    question = rt.questions[0]
    response = client.post(_url(rt, rt.s1, "/pull"), data={"question_id": str(question.id), "version": "2"})
    assert response.status_code == 302

    db.session.expire_all()
    summary = db.session.get(SessionSummary, rt.s1.id)
    assert summary.version == 3
    assert summary.text.startswith("Synthèse sans JavaScript\n\n« Quel calendrier pour la fibre transsaharienne ? »")
    # A question of another session, or a rejected one, cannot be pulled.
    other = rt.questions[4]
    assert client.post(_url(rt, rt.s1, "/pull"), data={"question_id": str(other.id), "version": "3"}).status_code == 404
    assert client.post(_url(rt, rt.s1, "/pull"), data={"question_id": "abc", "version": "3"}).status_code == 404


@pytest.mark.parametrize("body, code, status", [
    ({"text": "x" * 100_001, "version": 1}, "summary_too_long", 422),
    ({"text": "x", "version": "1"}, "invalid_version", 422),
    ({"text": "x", "version": True}, "invalid_version", 422),
    ({"text": "x", "version": -1}, "invalid_version", 422),
    ({"text": "x", "version": 2**40}, "invalid_version", 422),
])
def test_bad_autosave_payloads(app, rt, body, code, status):
    client = _login(app, rt.rapporteur)
    response = client.post(_url(rt, rt.s1, "/autosave"), json=body)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_autosave_needs_a_json_object_and_strips_nul(app, rt):
    client = _login(app, rt.rapporteur)
    response = client.post(_url(rt, rt.s1, "/autosave"), data="[1]", content_type="application/json")
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_payload"
    response = client.post(_url(rt, rt.s1, "/autosave"), json={"text": "a\x00b", "version": 1})
    assert response.status_code == 200

    db.session.expire_all()
    assert db.session.get(SessionSummary, rt.s1.id).text == "ab"


def test_recommendations_are_validated(app, rt):
    with pytest.raises(ValidationFailed) as exc:
        services.add_recommendation(rt.s1, RecommendationData(title=" ", text="", domain="moon", actor="nobody",
                                                              priority="urgent"), by=rt.rapporteur)
    assert exc.value.code == "invalid_recommendation"
    assert set(exc.value.fields) == {"title", "domain", "actor", "priority"}


def test_only_rapporteurs_are_assigned(app, rt):
    with pytest.raises(ValidationFailed) as exc:
        services.assign_rapporteur(rt.s1, rt.moderator)
    assert exc.value.code == "not_a_rapporteur"
    client = _login(app, rt.organizer)
    page = client.get(f"/manage/events/{rt.event.id}/report/rapporteurs")
    assert page.status_code == 200 and "Rapporteur Un" in page.get_data(as_text=True)
    response = client.post(f"/manage/events/{rt.event.id}/report/rapporteurs",
                           data={"session_id": str(rt.s2.id), "user_id": str(rt.rapporteur.id)})
    assert response.status_code == 302
    assert client.post(f"/manage/events/{rt.event.id}/report/rapporteurs",
                       data={"session_id": "999999", "user_id": str(rt.rapporteur.id)}).status_code == 404
