"""Q&A services: states, votes, merge, polls, rate limits, snapshots and the broadcast log."""

from __future__ import annotations

import pytest

from eventhub.core.db import commit
from eventhub.core.errors import DomainError
from eventhub.extensions import db
from eventhub.qa import ballots, polls, services
from eventhub.qa import broadcast as bc
from eventhub.qa import participants as pt
from eventhub.qa.models import QaBroadcast, QuestionStatus


def _code(call) -> str:
    with pytest.raises(DomainError) as exc:
        call()
    db.session.rollback()
    return exc.value.code


@pytest.fixture
def people(qa):
    return {"aminata": pt.from_ticket(qa.ticket), "karim": pt.from_ticket(qa.ticket2),
            "other": pt.from_ticket(qa.other_ticket), "user": pt.from_user(qa.outsider)}


def _open(session):
    settings = services.get_settings(session)
    services.update_settings(settings, moderation="open", is_open=True, anonymous_allowed=False)
    commit()
    return settings


def test_settings_come_with_the_session_and_its_short_code(qa):
    settings = services.get_settings(qa.session)
    assert settings.moderation.value == "pre" and settings.is_open and not settings.anonymous_allowed
    assert services.get_settings(qa.session) is settings
    assert services.settings_by_short_code(settings.short_code.upper()).session_id == qa.session.id
    assert services.settings_by_short_code("nope") is None


def test_pre_moderated_question_waits_then_approved(qa, people):
    q = services.ask(qa.session, people["aminata"], "  Quelle   place pour les start-up maliennes ?  ")
    commit()
    assert q.status == QuestionStatus.PENDING and q.text == "Quelle place pour les start-up maliennes ?"
    assert q.author_name == "Aminata Traoré" and not q.is_public
    public = services.snapshot(qa.session, moderator=False, participant=people["karim"])
    assert public["questions"] == []
    mine = services.snapshot(qa.session, moderator=False, participant=people["aminata"])
    assert [x["mine"] for x in mine["questions"]] == [True]
    assert "author_name" not in mine["questions"][0]
    services.moderate(q, "approve", by=qa.moderator)
    commit()
    public = services.snapshot(qa.session, moderator=False, participant=people["karim"])
    assert [x["id"] for x in public["questions"]] == [q.id]
    assert public["questions"][0]["author"] == "Aminata Traoré"


def test_open_moderation_publishes_at_once_in_any_language(qa, people):
    _open(qa.session)
    for text in ("What about satellite capacity?", "ما هي فرص التعاون في مجال الألياف البصرية؟",
                 "<script>alert(1)</script>"):
        q = services.ask(qa.session, people["aminata"], text)
        commit()
        assert q.status == QuestionStatus.APPROVED and q.text == text  # stored as text, escaped by every view


def test_anonymous_question_hides_the_name_from_the_audience_not_moderators(qa, people):
    _open(qa.session)
    q = services.ask(qa.session, people["aminata"], "Question sensible", anonymous=True)
    commit()
    view = bc.question_view(q)
    assert view["author"] is None and view["author_name"] == "Aminata Traoré"
    assert bc.public_question(view)["author"] is None and "author_name" not in bc.public_question(view)


def test_bad_questions(qa, people):
    assert _code(lambda: services.ask(qa.session, people["aminata"], "   ")) == "empty_text"
    assert _code(lambda: services.ask(qa.session, people["aminata"], "x" * 501)) == "text_too_long"
    assert _code(lambda: services.ask(qa.session, people["other"], "Bonjour")) == "wrong_event"
    assert _code(lambda: services.ask(qa.session, None, "Bonjour")) == "not_participant"
    settings = services.get_settings(qa.session)
    services.update_settings(settings, moderation="pre", is_open=False, anonymous_allowed=False)
    commit()
    assert _code(lambda: services.ask(qa.session, people["aminata"], "Bonjour")) == "qa_closed"
    assert _code(lambda: services.get_session(999999)) == "session_not_found"


def test_anonymous_participants_only_where_allowed(qa):
    anon = pt.from_anonymous_key(pt.issue_anonymous_key(qa.session.id))
    assert anon.kind == "anonymous" and anon.key.startswith("a:")
    assert pt.from_anonymous_key("forged.key") is None
    assert _code(lambda: services.ask(qa.session, anon, "Bonjour")) == "anonymous_not_allowed"
    settings = services.get_settings(qa.session)
    services.update_settings(settings, moderation="open", is_open=True, anonymous_allowed=True)
    commit()
    q = services.ask(qa.session, anon, "Bonjour")
    commit()
    assert q.anonymous and q.participant_key == anon.key[2:]
    other_anon = pt.from_anonymous_key(pt.issue_anonymous_key(qa.other_session.id))
    assert _code(lambda: services.ask(qa.session, other_anon, "Bonjour")) == "wrong_session"


def test_votes_toggle_once_per_person(qa, people):
    _open(qa.session)
    q = services.ask(qa.session, people["aminata"], "Financement ?")
    commit()
    for _ in range(3):
        ballots.toggle_vote(q, people["karim"], True)
        commit()
    assert q.votes == 1
    ballots.toggle_vote(q, people["user"], True)
    commit()
    assert q.votes == 2
    ballots.toggle_vote(q, people["karim"], False)
    ballots.toggle_vote(q, people["karim"], False)
    commit()
    assert q.votes == 1 and services.voted_ids(qa.session.id, people["user"]) == [q.id]


def test_cannot_vote_on_pending_or_rejected(qa, people):
    q = services.ask(qa.session, people["aminata"], "En attente")
    commit()
    assert _code(lambda: ballots.toggle_vote(q, people["karim"], True)) == "not_votable"
    services.moderate(q, "reject", by=qa.moderator, reason="Hors sujet")
    commit()
    assert q.reject_reason == "Hors sujet"
    assert _code(lambda: ballots.toggle_vote(q, people["karim"], True)) == "not_votable"


def test_moderation_states(qa, people):
    q = services.ask(qa.session, people["aminata"], "Quel calendrier pour la fibre optiqe ?")
    commit()
    assert _code(lambda: services.moderate(q, "pin", by=qa.moderator)) == "invalid_transition"
    assert _code(lambda: services.moderate(q, "approve", by=qa.outsider)) == "not_moderator"
    services.moderate(q, "approve", by=qa.organizer)
    services.moderate(q, "edit", by=qa.moderator, text="Quel calendrier pour la fibre optique ?")
    services.moderate(q, "address", by=qa.moderator, panelist_id=qa.panelist.id)
    services.moderate(q, "pin", by=qa.moderator)
    commit()
    assert q.pinned and q.edited_at and q.addressed_to_id == qa.panelist.id
    assert _code(lambda: services.moderate(q, "reject", by=qa.moderator)) == "invalid_transition"
    assert _code(lambda: services.moderate(q, "address", by=qa.moderator, panelist_id=999)) == "panelist_not_found"
    q2 = services.ask(qa.session, people["karim"], "Deuxième")
    commit()
    services.moderate(q2, "approve", by=qa.moderator)
    changed = services.moderate(q2, "pin", by=qa.moderator)
    commit()
    assert {c.id for c in changed} == {q.id, q2.id} and not q.pinned and q2.pinned  # one pinned at a time
    services.moderate(q2, "answer", by=qa.moderator)
    services.moderate(q2, "archive", by=qa.moderator)
    commit()
    assert q2.status == QuestionStatus.ARCHIVED and not q2.pinned and q2.answered_at


def test_merge_moves_votes_once(qa, people):
    _open(qa.session)
    keep = services.ask(qa.session, people["aminata"], "Banque des start-up ?")
    dup = services.ask(qa.session, people["karim"], "Une banque pour financer les start-up ?")
    commit()
    ballots.toggle_vote(keep, people["user"], True)
    ballots.toggle_vote(dup, people["user"], True)
    commit()
    changed = services.moderate(dup, "merge", by=qa.moderator, into_id=keep.id)
    commit()
    assert [c.id for c in changed] == [dup.id, keep.id]
    assert dup.status == QuestionStatus.ARCHIVED and dup.merged_into_id == keep.id
    assert keep.votes == 2  # the shared voter once, plus the duplicate's author
    assert _code(lambda: services.moderate(keep, "merge", by=qa.moderator, into_id=keep.id)) == "question_not_found"


def test_rate_limits(qa, people, app):
    _open(qa.session)
    codes = []
    for n in range(7):
        try:
            services.ask(qa.session, people["aminata"], f"Question {n}")
            commit()
            codes.append("ok")
        except DomainError as exc:
            db.session.rollback()
            codes.append(exc.code)
    assert codes == ["ok"] * 5 + ["rate_limited"] * 2
    q = services.ask(qa.session, people["karim"], "Une autre")
    commit()
    results = []
    for n in range(62):
        try:
            ballots.toggle_vote(q, people["user"], n % 2 == 0)
            commit()
            results.append("ok")
        except DomainError as exc:
            db.session.rollback()
            results.append(exc.code)
    assert results.count("ok") == 60 and results[-1] == "rate_limited"


def test_polls(qa, people):
    poll = polls.create_poll(qa.session, "Priorité de coopération ?", ["Fibre", "Satellite", "Formation"])
    commit()
    assert _code(lambda: polls.vote(poll, people["aminata"], [poll.options[0].id])) == "poll_closed"
    snap = services.snapshot(qa.session, moderator=False, participant=people["aminata"])
    assert snap["polls"] == []  # a prepared poll is not shown before it opens
    polls.set_state(poll, "open")
    commit()
    polls.vote(poll, people["aminata"], [poll.options[1].id])
    commit()
    assert _code(lambda: polls.vote(poll, people["aminata"], [poll.options[0].id])) == "already_voted"
    assert _code(lambda: polls.vote(poll, people["karim"], [o.id for o in poll.options])) == "invalid_choice"
    assert _code(lambda: polls.vote(poll, people["karim"], [999999])) == "invalid_choice"
    assert poll.voters == 1 and [o.votes for o in poll.options] == [0, 1, 0]
    public = services.snapshot(qa.session, moderator=False, participant=people["aminata"])
    assert "votes" not in public["polls"][0]["options"][0] and public["me"]["poll_votes"] == {
        str(poll.id): [poll.options[1].id]}
    polls.set_state(poll, "show_results")
    polls.set_state(poll, "close")
    commit()
    public = services.snapshot(qa.session, moderator=False, participant=people["karim"])
    assert public["polls"][0]["options"][1]["votes"] == 1 and public["polls"][0]["status"] == "closed"
    assert _code(lambda: polls.create_poll(qa.session, "", ["a"])) == "invalid_poll"
    assert _code(lambda: polls.create_poll(qa.session, "Q", ["a", "a"])) == "invalid_poll"


def test_broadcast_log_and_replay(qa, people):
    q = services.ask(qa.session, people["aminata"], "En attente")
    commit()
    services.moderate(q, "approve", by=qa.moderator)
    commit()
    q2 = services.ask(qa.session, people["karim"], "Privée de Karim")
    commit()
    rows = db.session.scalars(db.select(QaBroadcast).order_by(QaBroadcast.seq)).all()
    assert [r.seq for r in rows] == [1, 2, 3] and [r.audience for r in rows] == ["private", "public", "private"]
    everything = bc.missed(qa.session.id, 0, moderator=True, key=None)
    assert len(everything) == 3
    aminata = bc.missed(qa.session.id, 0, moderator=False, key=people["aminata"].key)
    assert [m["seq"] for m in aminata] == [1, 2] and aminata[0]["question"]["mine"] is True
    assert all("author_name" not in m["question"] for m in aminata)
    public = bc.missed(qa.session.id, 1, moderator=False, key=None)
    assert [m["seq"] for m in public] == [2]
    assert bc.missed(qa.session.id, 99, moderator=False, key=None) is None  # ahead of the server: snapshot
    assert q2.id not in [m["question"]["id"] for m in public]
