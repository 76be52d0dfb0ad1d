"""Demo Q&A for the scenario (../shared/SCENARIO.md): the round table's two panel sessions and the pitch session."""

from __future__ import annotations

from eventhub.auth.models import User
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.qa import participants as pt
from eventhub.qa import polls, services
from eventhub.registration.models import Registration
from eventhub.schedule.models import AgendaSession

QUESTIONS = {
    "Session 1": [
        ("Combien de start-up sont labellisées aujourd'hui au Mali et en Algérie ?", "approve"),
        ("What share of public procurement is open to start-ups in both countries?", "approve"),
        ("ما هي نسبة تغطية الإنترنت في المناطق الريفية في البلدين؟", "pending"),
    ],
    "Session 2": [
        ("Quel calendrier pour le raccordement à la dorsale de fibre optique transsaharienne ?", "approve"),
        ("Can Malian start-ups rent Algerian satellite capacity in CFA francs?", "approve"),
        ("هل سيتم إنشاء بنك مشترك لتمويل الشركات الناشئة؟", "approve"),
    ],
}
POLLS = {
    "Session 1": ("Le principal frein au développement des start-up ?",
                  ["Le financement", "La connectivité", "Les compétences", "Le cadre réglementaire"], False),
    "Session 2": ("Quels chantiers de coopération prioriser ? (plusieurs choix)",
                  ["Fibre optique", "Capacités satellitaires", "Formation", "Banque des start-up", "Cybersécurité"],
                  True),
}


def _session(event: Event, prefix: str) -> AgendaSession | None:
    return db.session.scalar(db.select(AgendaSession).where(AgendaSession.event_id == event.id,
                                                            AgendaSession.title.startswith(prefix)))


def load_qa_demo(round_table: Event, connect: Event, *, moderator: User) -> None:
    attendees = list(db.session.scalars(db.select(Registration).where(Registration.event_id == round_table.id)
                                        .order_by(Registration.id).limit(6)))
    for index, (prefix, items) in enumerate(QUESTIONS.items()):
        session = _session(round_table, prefix)
        if session is None:
            continue
        services.update_settings(services.get_settings(session), moderation="pre", is_open=True,
                                 anonymous_allowed=index == 1)  # session 2 also takes remote anonymous questions
        for n, (text, action) in enumerate(items):
            if not attendees:
                break
            registration = attendees[(n + index * 3) % len(attendees)]
            author = pt.Participant(key=f"r:{registration.id}", kind="ticket", name=registration.name,
                                    registration_id=registration.id, event_id=round_table.id)
            question = services.ask(session, author, text, anonymous=n == 2)
            if action == "approve":
                services.moderate(question, "approve", by=moderator)
        poll_question, options, multiple = POLLS[prefix]
        polls.create_poll(session, poll_question, options, multiple=multiple)
    pitch = _session(connect, "Pitchs")
    if pitch is not None:
        services.update_settings(services.get_settings(pitch), moderation="open", is_open=True,
                                 anonymous_allowed=True)
