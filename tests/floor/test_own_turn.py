"""A speaker hands the floor back ("I've finished", `speeches.finish_own_turn`): only the current speaker — the ticket
holder whose accepted hand is speaking, the panelist whose speech it is — may, with the same consequences as a
moderator's end; everyone else gets `not_your_turn`. Racing a moderator's end: tests/floor/test_concurrency.py."""

from __future__ import annotations

from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.floor import broadcast as bc
from eventhub.floor import hands, services, speeches
from eventhub.floor.models import Speaker, SpeakerState, Speech
from eventhub.qa import participants as pt
from eventhub.registration import services as reg
from eventhub.registration.models import Registration
from tests.floor.conftest import at
from tests.helpers import domain_error_code


def _accepted(floor, ticket: str) -> tuple[pt.Participant, Speaker]:  # noqa: ANN001
    """A remote ticket holder asked for the floor and the moderator accepted: their entry on the list."""
    participant = pt.from_ticket(ticket)
    assert participant is not None
    hand = hands.raise_hand(floor.session, participant, "Le corridor numérique")
    speaker = hands.decide(hand, by=floor.moderator, accept=True)
    assert speaker is not None
    return participant, speaker


def _panelist(floor, who) -> Speaker:  # noqa: ANN001
    return services.add_speaker(floor.session, by=floor.moderator, kind="panelist", panelist_id=who.id)


def test_the_speaking_attendee_hands_the_floor_back(floor, signals_seen):
    aminata, entry = _accepted(floor, floor.tickets[0])
    speech = speeches.start(entry, by=floor.moderator, now=at(0))
    seq = bc.current_seq(floor.session.id)
    done = speeches.finish_own_turn(floor.session, by_attendee=aminata, now=at(42))
    commit()
    speech = db.session.get(Speech, speech.id)
    assert done.id == speech.id and speech.ended_at == at(42) and speech.elapsed(at(999)) == 42
    assert db.session.get(Speaker, entry.id).state == SpeakerState.DONE
    # The same signal as a moderator's end (the stage sends them backstage), from nobody: the speaker acted.
    ended = [(sid, kw["reason"], kw["by"]) for n, sid, kw in signals_seen if n == "ended"]
    assert ended == [(speech.id, "finished", None)]
    # Recorded for the broadcast (consoles, screen, the speaker's own page): nobody has the floor.
    assert bc.current_seq(floor.session.id) > seq
    state = bc.state_view(floor.session.id, now=at(50))
    assert state["current"] is None and [d["id"] for d in state["done"]] == [entry.id]
    # Twice (a double click, a retried event): the turn is over, nothing more happens.
    refused = domain_error_code(speeches.finish_own_turn, floor.session, by_attendee=aminata, now=at(43))
    assert refused == "not_your_turn"
    assert db.session.get(Speech, speech.id).ended_at == at(42)


def test_the_speaking_panelist_hands_the_floor_back(floor):
    algeria, mali = _panelist(floor, floor.algeria), _panelist(floor, floor.mali)
    speech = speeches.start(algeria, by=floor.moderator, now=at(0))
    commit()  # each step its own unit of work, as in the app: a refusal rolls back only itself
    refused = domain_error_code(speeches.finish_own_turn, floor.session, by_panelist=floor.mali, now=at(5))
    assert refused == "not_your_turn"
    speeches.finish_own_turn(floor.session, by_panelist=floor.algeria, now=at(30))
    assert speech.ended_at == at(30) and algeria.state == SpeakerState.DONE and mali.state == SpeakerState.WAITING


def test_nobody_else_ends_the_speakers_turn(floor):
    aminata, entry = _accepted(floor, floor.tickets[0])
    karim = pt.from_ticket(floor.tickets[1])
    _panelist(floor, floor.mali)
    speech = speeches.start(entry, by=floor.moderator, now=at(0))
    refused = {
        "another attendee": domain_error_code(speeches.finish_own_turn, floor.session, by_attendee=karim, now=at(1)),
        "a panelist not speaking": domain_error_code(speeches.finish_own_turn, floor.session, by_panelist=floor.mali),
        "a moderator (as a participant)": domain_error_code(speeches.finish_own_turn, floor.session,
                                                by_attendee=pt.from_user(floor.moderator)),
        "nobody": domain_error_code(speeches.finish_own_turn, floor.session),
        "the speaker, in another session": domain_error_code(speeches.finish_own_turn, floor.other,
                                                             by_attendee=aminata),
    }
    assert refused == dict.fromkeys(refused, "not_your_turn")
    assert speech.ended_at is None and entry.state == SpeakerState.SPEAKING


def test_a_moderator_speaking_cannot_use_the_speakers_path(floor):
    """A moderator on the list speaks from the hall and ends their own speech from the console (`end`): a
    participant key — theirs included — never matches a moderator's entry."""
    entry = services.add_speaker(floor.session, by=floor.moderator, kind="moderator")
    speech = speeches.start(entry, by=floor.moderator, now=at(0))
    assert domain_error_code(speeches.finish_own_turn, floor.session, by_attendee=pt.from_user(floor.moderator)) == \
        "not_your_turn"
    assert speech.ended_at is None


def test_a_revoked_ticket_cannot_finish(floor):
    aminata, entry = _accepted(floor, floor.tickets[0])
    speech = speeches.start(entry, by=floor.moderator, now=at(0))
    commit()
    reg.revoke_ticket(db.session.get(Registration, aminata.registration_id))
    commit()
    refused = domain_error_code(speeches.finish_own_turn, floor.session, by_attendee=aminata, now=at(10))
    assert refused == "ticket_revoked"
    assert db.session.get(Speech, speech.id).ended_at is None


def test_a_cancelled_registration_cannot_finish(floor):
    aminata, entry = _accepted(floor, floor.tickets[0])
    speeches.start(entry, by=floor.moderator, now=at(0))
    commit()
    reg.cancel_registration(db.session.get(Registration, aminata.registration_id))
    commit()
    assert domain_error_code(speeches.finish_own_turn, floor.session, by_attendee=aminata, now=at(10)) == \
        "registration_cancelled"


def test_an_interjecting_speaker_finishing_resumes_the_interrupted(floor):
    mali = _panelist(floor, floor.mali)
    aminata, entry = _accepted(floor, floor.tickets[0])
    main = speeches.start(mali, by=floor.moderator, now=at(0))
    inter = speeches.interject(entry, by=floor.moderator, now=at(60))
    speeches.finish_own_turn(floor.session, by_attendee=aminata, now=at(80))
    state = bc.state_view(floor.session.id, now=at(100))
    assert inter.ended_at == at(80) and state["current"]["id"] == main.id
    assert main.paused_seconds == 20 and main.elapsed(at(100)) == 80


def test_a_paused_speaker_may_still_give_up_the_rest_of_their_turn(floor):
    """Interrupted by someone's interjection (or paused by the moderator), the speaker's page still says they have
    the floor: finishing ends their own speech, never the one running."""
    aminata, entry = _accepted(floor, floor.tickets[0])
    moderator = services.add_speaker(floor.session, by=floor.moderator, kind="moderator")
    mine = speeches.start(entry, by=floor.moderator, now=at(0))
    inter = speeches.interject(moderator, by=floor.moderator, now=at(30))
    speeches.finish_own_turn(floor.session, by_attendee=aminata, now=at(40))
    assert mine.ended_at == at(40) and mine.elapsed(at(99)) == 30 and inter.ended_at is None
    speeches.end(floor.session, by=floor.moderator, now=at(50))  # the interjection ends: nothing to resume
    assert bc.state_view(floor.session.id, now=at(60))["current"] is None
