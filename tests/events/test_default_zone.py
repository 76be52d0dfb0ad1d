"""The zone of an event or panelist created without one, and the forms' suggested zone, come from the
configuration (DEFAULT_TIMEZONE, from EVENTHUB_DEFAULT_TIMEZONE), not from a literal."""

from __future__ import annotations

from datetime import timedelta

from eventhub.core.db import commit
from eventhub.events.services import EventData, create_event
from eventhub.schedule import panelists as pan
from tests.conftest import future


def test_an_event_and_a_panelist_without_a_zone_get_the_configured_one(app, ctx, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "DEFAULT_TIMEZONE", "Africa/Algiers")
    event = create_event(EventData(title="Forum d'Alger", starts_at=future(), ends_at=future() + timedelta(hours=4)),
                         by=make_user())
    panelist = pan.create_panelist(event, pan.PanelistData(name="Yacine Boudiaf"))
    named = pan.create_panelist(event, pan.PanelistData(name="Jordan Lee", timezone="America/Los_Angeles"))
    commit()
    assert (event.timezone, panelist.timezone, named.timezone) == ("Africa/Algiers", "Africa/Algiers",
                                                                   "America/Los_Angeles")


def test_the_forms_suggest_the_configured_zone(app, client, login, make_user, make_event, monkeypatch):
    organizer = make_user(is_admin=True)
    event = make_event(organizer=organizer)
    monkeypatch.setitem(app.config, "DEFAULT_TIMEZONE", "Africa/Algiers")
    login(organizer)
    for url in ("/manage/events/new", f"/manage/events/{event.id}/schedule/panelists"):
        html = client.get(url).get_data(as_text=True)
        assert 'value="Africa/Algiers"' in html, url
