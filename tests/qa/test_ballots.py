"""Votes counted in batches (eventhub.qa.ballots): each ballot keeps its own answer inside a batch, a person who
votes and takes it back within one batch is recorded in order, and the group commit under real threads (CI: on
PostgreSQL) makes batches, answers every voter, and keeps the stored count equal to the vote rows."""

from __future__ import annotations

import threading

import pytest

from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.qa import ballots, services
from eventhub.qa import participants as pt
from eventhub.qa.models import Question, Vote
from eventhub.schedule.models import AgendaSession


def _open_questions(qa, n: int, *, pending: int = 0) -> list[int]:
    """`n` questions the audience sees, then `pending` ones waiting for moderation."""
    session = db.session.get(AgendaSession, qa.session.id)
    ids = []
    for moderation, count in (("open", n), ("pre", pending)):
        services.update_settings(services.get_settings(session), moderation=moderation, is_open=True,
                                 anonymous_allowed=False)
        ids += [services.ask(session, pt.from_user(qa.outsider), f"Question {len(ids)} ?").id for _ in range(count)]
    commit()
    return ids


def _rows(question_id: int) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Vote).where(Vote.question_id == question_id))


def _user(n: int) -> ballots.Voter:
    return ballots.Voter(pt.Participant(key=f"u:{n}", kind="user"), audience=False)


def test_each_ballot_of_a_batch_gets_its_own_answer(qa):
    first, waiting = _open_questions(qa, 1, pending=1)
    author = pt.from_user(qa.outsider)
    batch = [
        ballots.Ballot(first, True, _user(1)),
        ballots.Ballot(first, True, ballots.Voter(author, audience=False)),  # their own question
        ballots.Ballot(waiting, True, _user(2)),  # not approved yet: not votable
        ballots.Ballot(2**30, True, _user(3)),  # no such question
        ballots.Ballot(first, True, ballots.Voter(None, audience=False)),  # nobody
        ballots.Ballot(first, True, _user(4)),
        ballots.Ballot(first, True, _user(1)),  # again: counted once
    ]
    ballots.count_ballots(batch)
    commit()
    codes = [b.error.code if b.error else None for b in batch]
    assert codes == [None, "own_question", "not_votable", "question_not_found", "not_participant", None, None]
    assert [b.votes for b in batch if b.error is None] == [2, 2, 2]
    assert [b.changed for b in batch] == [True, False, False, False, False, True, False]
    assert db.session.get(Question, first).votes == _rows(first) == 2


def test_a_vote_and_its_withdrawal_in_one_batch_are_recorded_in_order(qa):
    (question,) = _open_questions(qa, 1)
    batch = [ballots.Ballot(question, True, _user(1)), ballots.Ballot(question, False, _user(1)),
             ballots.Ballot(question, True, _user(2)), ballots.Ballot(question, True, _user(1))]
    ballots.count_ballots(batch)
    commit()
    assert all(b.changed for b in batch)
    assert db.session.get(Question, question).votes == _rows(question) == 2
    assert {b.votes for b in batch} == {2}


def test_the_audience_rule_hides_unpublished_and_foreign_sessions(qa):
    (question,) = _open_questions(qa, 1)
    foreign_ticket = pt.Participant(key="r:999", kind="ticket", event_id=qa.other_event.id)
    panelist_elsewhere = ballots.Voter(pt.Participant(key="u:7", kind="user"), panelist_event_id=qa.other_event.id)
    batch = [ballots.Ballot(question, True, ballots.Voter(foreign_ticket)),
             ballots.Ballot(question, True, panelist_elsewhere),
             ballots.Ballot(question, True, ballots.Voter(pt.Participant(key="u:8", kind="user")))]
    ballots.count_ballots(batch)
    assert [b.error.code if b.error else None for b in batch] == ["question_not_found", "question_not_found", None]


def test_a_signed_out_voter_gets_session_ended(qa):
    (question,) = _open_questions(qa, 1)
    user = qa.outsider
    stale = ballots.Voter(pt.from_user(user), user_id=user.id, session_version=user.session_version - 1)
    ballot = ballots.Ballot(question, True, stale)
    ballots.count_ballots([ballot])
    assert ballot.error is not None and ballot.error.code == "session_ended"


@pytest.mark.timeout(120)
def test_the_ballot_box_batches_a_storm_answers_everyone_and_keeps_the_count(app, qa, monkeypatch):
    """16 threads cast 240 ballots at once through one box: up and back for the same people on three
    questions. Every voter gets an answer, batches hold several ballots, and each question's stored count is
    its number of vote rows."""
    questions = _open_questions(qa, 3)
    db.session.remove()
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", False)
    box = ballots.ballot_box(app)
    sizes: list[int] = []
    monkeypatch.setattr(box, "_count", lambda batch, real=box._count: (sizes.append(len(batch)), real(batch))[1])
    threads, per_thread = 16, 15
    barrier = threading.Barrier(threads)
    answers: list[dict] = []
    errors: list[str] = []

    def run(k: int) -> None:
        with app.app_context():
            barrier.wait(timeout=30)
            for n in range(per_thread):
                ballot = ballots.Ballot(questions[n % 3], (k + n) % 2 == 0, _user(100 + k % 8))
                try:
                    answers.append(box.cast(ballot))
                except Exception as exc:  # noqa: BLE001 — asserted below
                    errors.append(repr(exc))

    workers = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=100)
    assert not errors, errors
    assert len(answers) == threads * per_thread == sum(sizes)
    assert max(sizes) > 1, sizes  # the storm was counted in batches, not one transaction a vote
    db.session.expire_all()
    for qid in questions:
        assert db.session.get(Question, qid).votes == _rows(qid)
    assert not box._leading and not box._waiting  # the lead was handed back: the next vote starts a batch
