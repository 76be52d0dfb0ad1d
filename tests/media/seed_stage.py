"""Fixtures for the media end-to-end tests and bench/stage.py, created through the app's services in a child
process (`python -m tests.media.seed_stage` with the server's environment, after `flask db upgrade`).
Prints one JSON line: ids, the stage manager's login, the panelists' personal-link tokens, remote tickets and the
screen key. A child process because create_app() re-binds the module-level socketio extension.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta

from eventhub import create_app
from eventhub.auth.models import Role
from eventhub.auth.services import create_user, grant_role
from eventhub.core.db import commit
from eventhub.events.services import EventData, create_event, publish_event
from eventhub.floor import channels
from eventhub.registration.services import RegistrationData, register
from eventhub.schedule import panelists as pan
from eventhub.schedule import services as schedule
from eventhub.stage import services as stage_services

MANAGER_EMAIL = "regie@media.example.org"
MANAGER_PASSWORD = "media stage manager password"  # noqa: S105 (test account)
PANELISTS = [("Ministre Amina Benali", "Ministre du Numérique", "DZ", "Africa/Algiers"),
             ("Dr Oumar Touré", "Directeur, AMRTP", "ML", "Africa/Bamako"),
             ("Lina Haddad", "Chercheuse", "DZ", "Africa/Algiers")]


def main(extra_panelists: int = 0) -> None:
    app = create_app()
    with app.app_context():
        organizer = create_user("organisation@media.example.org", "Organisation", "media organizer password")
        manager = create_user(MANAGER_EMAIL, "Régie", MANAGER_PASSWORD)
        starts = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
        event = create_event(EventData(title="Table ronde Algérie–Mali", starts_at=starts,
                                       ends_at=starts + timedelta(hours=8), timezone="Africa/Bamako", capacity=80,
                                       remote_enabled=True), by=organizer)
        publish_event(event)
        grant_role(event, manager, Role.MODERATOR)
        room = schedule.create_room(event, schedule.RoomData(name="Salle des conférences, CICB", capacity=80))
        people = list(PANELISTS) + [(f"Panéliste {k}", "Expert", "ML", "Africa/Bamako") for k in range(extra_panelists)]
        panelists = [pan.create_panelist(event, pan.PanelistData(name=n, title=t, country=c, timezone=tz,
                                                                 mode="remote"))
                     for n, t, c, tz in people]
        session = schedule.create_session(event, schedule.SessionData(
            title="Ouverture : la coopération numérique", starts_at=starts, ends_at=starts + timedelta(hours=2),
            room_id=room.id, moderator_ids=[manager.id], panelists=[(p.id, "remote") for p in panelists]))
        schedule.publish_schedule(event)
        tickets = [register(event, RegistrationData(name=f"Suiveur {k}", email=f"remote{k}@media.example.org",
                                                    country="ML", mode="remote", consent=True)).registration.ticket.code
                   for k in range(4)]
        stage = stage_services.get_stage(session)
        # An English interpretation channel (the floor's tests: the interpreter's page and a listener).
        channel = channels.add_channel(session, by=manager, language="en", interpreter_name="Booth EN")
        commit()
        print(json.dumps({
            "event_id": event.id, "slug": event.slug, "session_id": session.id, "stage_id": stage.id,
            "manager_email": MANAGER_EMAIL, "manager_password": MANAGER_PASSWORD,
            "panelists": [{"id": p.id, "name": p.name, "token": pan.make_link_token(p)} for p in panelists],
            "tickets": tickets, "screen_key": stage.screen_key,
            "channel_id": channel.id, "interpreter_token": channels.make_link_token(channel),
        }), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
