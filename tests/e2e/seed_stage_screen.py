"""The hall's stage screen for the idle-state test: its own event, a session in a room with a remote panelist on
it and the next session in the same room, the stage open (written directly: no Janus; the page then says so and
the rest works), a moderator of the session. Created through the services in a child process (`python -m
tests.e2e.seed_stage_screen STAMP` with the live server's EVENTHUB_INSTANCE_DIR and SECRET_KEY). Prints one JSON
line."""

from __future__ import annotations

import json
import sys
from datetime import timedelta

from eventhub import create_app
from eventhub.core.db import commit
from eventhub.schedule import panelists as pan
from eventhub.schedule import services as schedule
from eventhub.stage import services as stage_services
from eventhub.stage.models import StageRole, StageState
from tests.e2e.seed_hall import hall

PASSWORD = "stage screen moderator password"  # noqa: S105 (test account)


def main(stamp: str) -> None:
    app = create_app()
    with app.app_context():
        h = hall(stamp, prefix="ecran", moderator_name="Régie", password=PASSWORD, started_minutes_ago=10)
        moderator, event, room, starts = h.moderator, h.event, h.room, h.starts
        minister = pan.create_panelist(event, pan.PanelistData(name="Ministre Amina Benali", title="Ministre",
                                                               country="DZ", mode="remote"))
        session = schedule.create_session(event, schedule.SessionData(
            title="Ouverture : la coopération numérique entre l'Algérie et le Mali, un an après la feuille de route",
            starts_at=starts, ends_at=starts + timedelta(hours=1), room_id=room.id, moderator_ids=[moderator.id],
            panelists=[(minister.id, "remote")]))
        following = schedule.create_session(event, schedule.SessionData(
            title="Financer les jeunes pousses", starts_at=starts + timedelta(hours=1, minutes=30),
            ends_at=starts + timedelta(hours=2, minutes=30), room_id=room.id))
        schedule.publish_schedule(event)
        stage = stage_services.get_stage(session)
        stage.state, stage.janus_server, stage.janus_room_id, stage.room_secret = \
            StageState.OPEN, "none", 4242, "room-secret"
        commit()
        participant = stage_services.ensure_participant(stage, StageRole.PANELIST, minister)
        commit()
        print(json.dumps({
            "session_id": session.id, "screen_key": stage.screen_key, "participant_id": participant.id,
            "moderator_email": moderator.email, "moderator_password": PASSWORD, "next_title": following.title,
            "session_title": session.title,
        }), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
