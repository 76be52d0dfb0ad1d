"""Schema and fixtures for a benchmark run; executed in a child process by the bench driver.

The environment (DATABASE_URL, EVENTHUB_INSTANCE_DIR, SECRET_KEY) is set by the caller, so the app reads the
same configuration as the server it will start. Prints one JSON line: {"event_id": ..., "token": ...}.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--capacity", type=int, required=True)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from eventhub import create_app
    from eventhub.auth.services import create_api_token, create_user
    from eventhub.core.db import commit
    from eventhub.events.services import EventData, create_event, publish_event

    app = create_app()
    with app.app_context():
        upgrade()
        user = create_user("bench-organizer@example.org", "Bench Organizer", "bench-password-123")
        starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
        event = create_event(
            EventData(
                title="Registration burst benchmark", starts_at=starts, ends_at=starts + timedelta(hours=8),
                timezone="Africa/Bamako", capacity=args.capacity, remote_enabled=True,
            ),
            by=user,
        )
        publish_event(event)
        _token, plaintext = create_api_token(event, user, "bench")
        commit()
        print(json.dumps({"event_id": event.id, "token": plaintext}), flush=True)


if __name__ == "__main__":
    main()
