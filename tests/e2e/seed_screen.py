"""A crowded projector for the fit test: its own event and session with a long pinned question, a dozen approved
questions of every length and a poll with its results on screen. Created through the services in a child process
(`python -m tests.e2e.seed_screen`, with the live server's EVENTHUB_INSTANCE_DIR and SECRET_KEY): create_app()
in the test process would re-bind the module-level socketio extension. Prints one JSON line."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta

LONG = ("Monsieur le Ministre, au-delà des annonces sur le fonds commun d'investissement algéro-malien, quel "
        "calendrier précis, quels montants et quels critères de sélection prévoyez-vous pour que les jeunes "
        "pousses de Bamako, de Kayes, de Tamanrasset et d'Alger y accèdent réellement, sans garanties "
        "bancaires impossibles à réunir, et comment la diaspora pourra-t-elle y contribuer ? ")


def main(stamp: str) -> None:
    from eventhub import create_app
    from eventhub.auth.services import create_user
    from eventhub.core.db import commit
    from eventhub.events.services import EventData, create_event, publish_event
    from eventhub.qa import ballots, polls
    from eventhub.qa import participants as pt
    from eventhub.qa import services as qa
    from eventhub.registration.services import RegistrationData, register
    from eventhub.schedule import services as schedule

    app = create_app()
    with app.app_context():
        organizer = create_user(f"projecteur{stamp}@example.org", "Régie", "projector organizer password")
        starts = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        event = create_event(EventData(title=f"Projecteur {stamp}", starts_at=starts,
                                       ends_at=starts + timedelta(hours=8), timezone="Africa/Bamako", capacity=50,
                                       remote_enabled=True), by=organizer)
        publish_event(event)
        session = schedule.create_session(event, schedule.SessionData(
            title="Session 3 — Financer l'économie numérique entre l'Algérie et le Mali : fonds, garanties et "
                  "diaspora", starts_at=starts, ends_at=starts + timedelta(hours=3)))
        schedule.publish_schedule(event)
        qa.update_settings(qa.get_settings(session), moderation="pre", is_open=True, anonymous_allowed=False)
        people = []
        for k in range(14):
            result = register(event, RegistrationData(name=f"Participant·e {k} Traoré", country="ML", mode="remote",
                                                      email=f"p{k}.{stamp}@example.org", consent=True))
            people.append(pt.from_ticket(result.registration.ticket.code))
        pinned = qa.ask(session, people[0], (LONG * 2)[:500])  # the longest a question may be
        questions = [qa.ask(session, people[k + 1], (f"Question {k + 1} : " + "quelles priorités pour le numérique "
                                                      * (1 + k % 4)).strip()) for k in range(12)]
        commit()
        for q in [pinned, *questions]:
            qa.moderate(q, "approve", by=organizer)
        qa.moderate(pinned, "pin", by=organizer)
        for k, q in enumerate(questions):
            for voter in people[k + 2:]:
                ballots.toggle_vote(q, voter, True)
        poll = polls.create_poll(session, "Quel chantier de coopération prioriser en premier ?",
                                 ["Paiement mobile", "Fibre transsaharienne", "Fonds d'amorçage", "Formation"])
        commit()
        polls.set_state(poll, "open")
        polls.set_state(poll, "show_results")
        for k, voter in enumerate(people):
            polls.vote(poll, voter, [poll.options[k % 4].id])
        commit()
        settings = qa.get_settings(session)
        print(json.dumps({"session_id": session.id, "short_code": settings.short_code,
                          "pinned_author": pinned.author_name}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "0")
