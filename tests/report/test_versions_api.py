"""Issued versions are frozen; the preview and downloads; the API and its OpenAPI entries; the provider seam."""

from __future__ import annotations

import io

from babel.messages.pofile import read_po
from pypdf import PdfReader

from eventhub.auth.services import create_api_token
from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.report import render, services
from eventhub.report.data import collect
from eventhub.report.models import ReportVersion
from eventhub.signals import report_collect
from tests.conftest import ROOT


def _login(app, user):
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": "correct horse battery"}).status_code == 302
    return client


def test_issue_freezes_a_numbered_version_and_a_change_needs_a_new_one(app, rt):
    client = _login(app, rt.organizer)
    base = f"/manage/events/{rt.event.id}/report"
    page = client.get(base + "?lang=fr")
    assert page.status_code == 200 and "Rapport final" in page.get_data(as_text=True)
    assert client.post(base + "/issue", data={"lang": "fr"}).status_code == 302
    v1 = db.session.scalar(db.select(ReportVersion).where(ReportVersion.event_id == rt.event.id))
    assert v1.number == 1 and v1.locale == "fr" and v1.pages >= 2
    first_pdf = client.get(f"{base}/versions/{v1.id}.pdf")
    assert first_pdf.status_code == 200 and first_pdf.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(first_pdf.data)).pages)
    assert "Version 1 émise le" in text and v1.checksum[:16] in text
    # Data changes: the issued PDF stays byte for byte; the next version differs and has its own checksum.
    services.save_summary(rt.s1, "Nouvelle synthèse", base_version=1, by=rt.rapporteur)
    db.session.commit()
    assert client.get(f"{base}/versions/{v1.id}.pdf").data == first_pdf.data
    assert client.post(base + "/issue", data={"lang": "ar"}).status_code == 302
    v2 = db.session.scalar(db.select(ReportVersion).where(ReportVersion.number == 2))
    assert v2.locale == "ar" and v2.checksum != v1.checksum
    workbook = client.get(f"{base}/versions/{v2.id}.xlsx")
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"
    # Bad input: an unknown edition, another event's version.
    assert client.post(base + "/issue", data={"lang": "xx"}).status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(ReportVersion)) == 2
    assert client.get(f"{base}/versions/99999.pdf").status_code == 404


def test_preview_in_arabic_is_right_to_left(app, rt):
    client = _login(app, rt.organizer)
    html = client.get(f"/manage/events/{rt.event.id}/report?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in html and "التقرير النهائي" in html


def _token(rt):
    _t, plain = create_api_token(rt.event, rt.organizer, "report")
    commit()
    return {"Authorization": f"Bearer {plain}"}


def test_api_serves_the_data_behind_the_report(app, client, rt):
    headers = _token(rt)
    base = f"/api/v1/events/{rt.event.id}/report"
    att = client.get(base + "/attendance", headers=headers)
    assert att.status_code == 200
    body = att.get_json()
    assert (body["registered"], body["present"], body["unlisted"]) == (10, 6, 2)
    assert sum(r["registered"] for r in body["by_country"]) == 10
    assert {s["title"]: s["door_scans"] for s in body["sessions"]}["Panel 1 — Infrastructures"] == 3
    questions = client.get(base + "/questions", headers=headers).get_json()["items"]
    assert len(questions) == 4 and "Question hors sujet" not in [q["text"] for q in questions]
    polls = client.get(base + "/polls", headers=headers).get_json()["items"]
    assert polls[0]["voters"] == 5 and [o["votes"] for o in polls[0]["options"]] == [3, 1, 1]
    assert client.get(base + "/speaking-times", headers=headers).get_json() == {"items": []}
    assert client.get(base + "/attendance").status_code == 401
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("attendance", "questions", "polls", "speaking-times"):
        assert f"/events/{{event_id}}/report/{path}" in spec["paths"]


def test_floor_can_plug_speaking_times_in_through_the_signal(app, client, rt):
    def floor(event, session_ids, **_kw):
        assert event.id == rt.event.id and rt.s1.id in session_ids
        return [{"key": "speaking_time", "title": "Temps de parole par délégation", "session_id": rt.s1.id,
                 "columns": ["Délégation", "Minutes"], "rows": [["Mali", 23], ["Algérie", 19]]}]

    report_collect.connect(floor)
    try:
        data = collect(rt.event)
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(render.pdf(data, "fr").pdf)).pages)
        assert "Temps de parole par délégation" in text and "Algérie" in text
        body = client.get(f"/api/v1/events/{rt.event.id}/report/speaking-times", headers=_token(rt)).get_json()
        assert body["items"][0]["rows"] == [["Mali", 23], ["Algérie", 19]]
    finally:
        report_collect.disconnect(floor)
    assert "Temps de parole" not in render.html(collect(rt.event), "fr")  # no provider, no section


def test_arabic_catalogue_is_valid_with_six_plural_forms():
    path = ROOT / "eventhub" / "translations" / "ar" / "LC_MESSAGES" / "messages.po"
    catalog = read_po(path.open("rb"), locale="ar")
    assert catalog.num_plurals == 6
    translated = [m for m in catalog if m.id and m.string and (isinstance(m.string, str) or all(m.string))]
    assert len(translated) > 80
    for m in catalog:
        if m.id and isinstance(m.id, tuple) and any(m.string):
            assert len(m.string) == 6 and all(m.string), m.id
            assert all("%(num)d" in form for form in m.string), m.id
    assert path.with_suffix(".mo").stat().st_mtime >= path.stat().st_mtime - 1
