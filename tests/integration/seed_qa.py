"""Fixtures for the multi-process Q&A test, created through the app's services in a child process.

Run as `python -m tests.integration.seed_qa` with the servers' environment (DATABASE_URL, SECRET_KEY,
EVENTHUB_INSTANCE_DIR), after `flask --app wsgi db upgrade`. Prints one JSON line: the session id, the moderator's
credentials and the ticket codes of the attendees.

A child process, not the test process: create_app() re-binds the module-level `socketio` extension, which would
break the socket tests that run later in the same pytest session.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

MODERATOR_EMAIL = "moderation@integration.example.org"
MODERATOR_PASSWORD = "integration moderator password"  # noqa: S105
ATTENDEES = ("Aminata Traoré", "Boubacar Keïta", "Cheick Diarra", "Djeneba Sow")


def main() -> None:
    from eventhub import create_app
    from eventhub.auth.models import Role
    from eventhub.auth.services import create_user, grant_role
    from eventhub.core.db import commit
    from eventhub.events.services import EventData, create_event, publish_event
    from eventhub.qa import services as qa
    from eventhub.registration.services import RegistrationData, register
    from eventhub.schedule import services as schedule

    app = create_app()
    with app.app_context():
        organizer = create_user("organisation@integration.example.org", "Coordination", "integration organizer pw")
        moderator = create_user(MODERATOR_EMAIL, "Modératrice", MODERATOR_PASSWORD)
        starts = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        event = create_event(EventData(title="Table ronde Algérie–Mali", starts_at=starts,
                                       ends_at=starts + timedelta(hours=8), timezone="Africa/Bamako", capacity=50,
                                       remote_enabled=True), by=organizer)
        publish_event(event)
        grant_role(event, moderator, Role.MODERATOR)
        room = schedule.create_room(event, schedule.RoomData(name="Salle principale", capacity=50))
        session = schedule.create_session(event, schedule.SessionData(
            title="Financer le numérique", starts_at=starts, ends_at=starts + timedelta(hours=3), room_id=room.id,
            moderator_ids=[moderator.id]))
        schedule.publish_schedule(event)
        qa.update_settings(qa.get_settings(session), moderation="pre", is_open=True, anonymous_allowed=False)
        tickets = []
        for k, name in enumerate(ATTENDEES):
            result = register(event, RegistrationData(name=name, email=f"attendee{k}@integration.example.org",
                                                      country="ML", mode="remote", consent=True))
            tickets.append(result.registration.ticket.code)
        commit()
        print(json.dumps({"event_id": event.id, "session_id": session.id, "moderator_email": MODERATOR_EMAIL,
                          "moderator_password": MODERATOR_PASSWORD, "tickets": tickets}), flush=True)


if __name__ == "__main__":
    main()
