"""The floor's speaking times reach the final report and the live dashboard through the report's signals."""

from __future__ import annotations

from eventhub.core.db import commit
from eventhub.floor import services, speeches
from eventhub.report.dashboard import snapshot
from eventhub.report.data import collect
from tests.floor.conftest import at


def test_report_shows_speaking_time_per_delegation_and_speaker(floor):
    mali = services.add_speaker(floor.session, by=floor.moderator, kind="panelist", panelist_id=floor.mali.id)
    algeria = services.add_speaker(floor.session, by=floor.moderator, kind="panelist", panelist_id=floor.algeria.id)
    speeches.start(mali, by=floor.moderator, now=at(0))
    speeches.start(algeria, by=floor.moderator, now=at(95))  # ends Mali's turn: 1:35
    speeches.end(floor.session, by=floor.moderator, now=at(95 + 250))  # Algeria: 4:10
    commit()

    data = collect(floor.event)
    session = next(s for s in data["sessions"] if s["id"] == floor.session.id)
    by_key = {section["key"]: section for section in session["sections"]}
    assert by_key["speaking_time"]["rows"] == [["Algérie", 1, "4:10", "10:00"], ["Mali", 1, "1:35", "10:00"]]
    speakers = by_key["speaking_time_speakers"]["rows"]
    assert [row[0] for row in speakers] == ["Yacine Boudiaf", "Aïssata Diallo"]
    assert [row[3] for row in speakers] == ["4:10", "1:35"]
    other = next(s for s in data["sessions"] if s["id"] == floor.other.id)
    assert other["sections"] == []  # no speeches there: no section at all


def test_dashboard_shows_who_has_the_floor(floor):
    mali = services.add_speaker(floor.session, by=floor.moderator, kind="panelist", panelist_id=floor.mali.id,
                                budget_seconds=300)
    speeches.start(mali, by=floor.moderator)
    commit()
    panels = {panel["key"]: panel for panel in snapshot(floor.event)["provided"]}
    row = panels["floor_now"]["rows"][0]
    assert row[:3] == [floor.session.title, "Aïssata Diallo", "Mali"]
    assert row[3].startswith("4:") or row[3] == "5:00"
