"""The floor and stage pages mid-session, for the right-to-left and review screenshots: an event of its own with a
session under way, its stage live (written directly: no Janus; the pages then say so and the rest works), a
remote minister and the room on it, the list of speakers with two delegations, Arabic and English interpretation
channels, a remote attendee whose accepted hand has the floor (so the stage gave her a live publisher row: her
page shows "You have the floor"), and another attendee's hand waiting. Created through the services in a child
process (`python -m tests.e2e.seed_stage_pages STAMP` with the live server's EVENTHUB_INSTANCE_DIR and SECRET_KEY).
Prints one JSON line."""

from __future__ import annotations

import json
import sys
from datetime import timedelta

from eventhub import create_app
from eventhub.core.db import commit
from eventhub.floor import channels, hands, speeches
from eventhub.floor import services as floor
from eventhub.qa import participants as pt
from eventhub.registration import services as reg
from eventhub.registration.models import AttendanceMode
from eventhub.schedule import panelists as pan
from eventhub.schedule import services as schedule
from eventhub.stage import services as stage_services
from eventhub.stage.models import ParticipantState, StageRole, StageState
from tests.e2e.seed_hall import hall

PASSWORD = "stage pages moderator password"  # noqa: S105 (test account)


def main(stamp: str) -> None:
    app = create_app()
    with app.app_context():
        h = hall(stamp, prefix="scene", moderator_name="Ibrahim Touré", password=PASSWORD, started_minutes_ago=20)
        moderator, event, room, starts = h.moderator, h.event, h.room, h.starts
        minister = pan.create_panelist(event, pan.PanelistData(
            name="Yacine Boudiaf", title="Ministre de l'économie de la connaissance", country="DZ", mode="remote",
            timezone="Africa/Algiers"))
        local = pan.create_panelist(event, pan.PanelistData(name="Aïssata Diallo", title="Ministre", country="ML"))
        session = schedule.create_session(event, schedule.SessionData(
            title="Session 2 — Opportunités de partenariat et de coopération", starts_at=starts,
            ends_at=starts + timedelta(hours=1, minutes=30), room_id=room.id, moderator_ids=[moderator.id],
            languages=("fr", "ar"), panelists=[(minister.id, "remote"), (local.id, None)]))
        schedule.publish_schedule(event)
        stage = stage_services.get_stage(session)
        stage.state, stage.janus_server, stage.janus_room_id, stage.room_secret = \
            StageState.LIVE, "none", 10**9 + int(stamp), "room-secret"
        commit()
        stage_services.ensure_participant(stage, StageRole.ROOM_FEED)
        on_air = stage_services.ensure_participant(stage, StageRole.PANELIST, minister)
        on_air.state = ParticipantState.LIVE
        commit()

        floor.update_settings(session, by=moderator, default_budget_seconds=300, show_timer_on_screen=True,
                              hands_open=True)
        floor.set_delegation(session, by=moderator, name="Mali", country="ML", budget_seconds=25 * 60)
        floor.set_delegation(session, by=moderator, name="Algérie", country="DZ", budget_seconds=25 * 60)
        floor.add_speaker(session, by=moderator, kind="moderator", user_id=moderator.id, budget_seconds=120)
        for panelist in (local, minister):
            floor.add_speaker(session, by=moderator, kind="panelist", panelist_id=panelist.id)
        arabic = channels.add_channel(session, by=moderator, language="ar", interpreter_name="Leïla Mansouri",
                                      interpreter_email="interpretation.ar@example.org")
        channels.add_channel(session, by=moderator, language="en", interpreter_name="Sarah Johnson")
        commit()

        speaking = reg.register(event, reg.RegistrationData(
            name="ليلى بن علي", email=f"leila{stamp}@example.dz", country="DZ", mode=AttendanceMode.REMOTE,
            consent=True, locale="ar")).registration
        waiting = reg.register(event, reg.RegistrationData(
            name="Oumar Sangaré", email=f"oumar{stamp}@example.org", country="ML", mode=AttendanceMode.REMOTE,
            consent=True)).registration
        commit()
        hand = hands.raise_hand(session, pt.from_ticket(speaking.ticket.code), "سؤال عن الألياف البصرية")
        commit()
        speaker = hands.decide(hand, by=moderator, accept=True)
        commit()
        speeches.start(speaker, by=moderator)  # the stage brings her live: "You have the floor" on her page
        commit()
        hands.raise_hand(session, pt.from_ticket(waiting.ticket.code), "La dorsale transsaharienne")
        commit()
        print(json.dumps({
            "event_id": event.id, "slug": event.slug, "session_id": session.id, "session_title": session.title,
            "ticket": speaking.ticket.code, "speaker_name": speaking.name,
            "panelist_token": pan.make_link_token(minister), "panelist_name": minister.name,
            "interpreter_token": channels.make_link_token(arabic),
            "moderator_email": moderator.email, "moderator_password": PASSWORD,
        }), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
