"""Seeds the live server's database with the app's own services; prints the fixture as JSON (last line)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from eventhub import create_app
from eventhub.auth.services import create_api_token, create_user
from eventhub.core.db import commit
from eventhub.events.services import EventData, create_event, publish_event

PASSWORD = "correct horse battery"  # noqa: S105


def main() -> None:
    app = create_app()
    with app.app_context():
        organizer = create_user("orga@example.org", "Organisatrice", PASSWORD)
        starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=14)
        event = create_event(EventData(title="Table ronde Algérie–Mali", starts_at=starts,
                                       ends_at=starts + timedelta(hours=5), timezone="Africa/Bamako",
                                       capacity=100, venue="CICB", room="Salle principale"), by=organizer)
        publish_event(event)
        _row, slow = create_api_token(event, organizer, "slow client")
        _row, quick = create_api_token(event, organizer, "quick client")
        commit()
        print(json.dumps({"event_id": event.id, "slug": event.slug, "slow_token": slow, "quick_token": quick,
                          "email": organizer.email, "password": PASSWORD}))


if __name__ == "__main__":
    main()
