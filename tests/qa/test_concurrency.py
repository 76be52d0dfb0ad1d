"""Votes and poll votes count once under real concurrency (CI runs this on PostgreSQL, where transactions
interleave: the unique constraints and the conditional UPDATEs are what keep the counts right)."""

from __future__ import annotations

import threading

from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.qa import ballots, polls, services
from eventhub.qa import participants as pt
from eventhub.qa.models import Poll, Question, Vote
from eventhub.schedule.models import AgendaSession

THREADS = 6
VOTERS = 12


def _race(app, work) -> list[str]:
    barrier = threading.Barrier(THREADS)
    errors: list[str] = []

    def run(k: int) -> None:
        with app.app_context():
            barrier.wait(timeout=30)
            for n in range(VOTERS):
                try:
                    work(k, n)
                    commit()
                except Exception as exc:  # noqa: BLE001 — collected and asserted on below
                    db.session.rollback()
                    errors.append(repr(exc))
            db.session.remove()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_racing_upvotes_count_once_per_voter(app, qa, monkeypatch):
    session = db.session.get(AgendaSession, qa.session.id)
    services.update_settings(services.get_settings(session), moderation="open", is_open=True, anonymous_allowed=False)
    question = services.ask(session, pt.from_user(qa.outsider), "Populaire ?")
    commit()
    question_id = question.id
    db.session.remove()
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", False)  # restored after the test
    # Every thread upvotes for the same VOTERS people: each person must count once.
    errors = _race(app, lambda k, n: ballots.toggle_vote(
        db.session.get(Question, question_id), pt.Participant(key=f"u:{1000 + n}", kind="user"), True))
    assert not errors, errors
    q = db.session.get(Question, question_id)
    votes = db.session.scalar(db.select(db.func.count()).select_from(Vote).where(Vote.question_id == question_id))
    assert q.votes == votes == VOTERS


def test_racing_votes_and_withdrawals_keep_the_count_equal_to_the_votes(app, qa, monkeypatch):
    """Threads vote up and take back for the same people at once (a vote storm's toggles): the stored count is
    always the number of vote rows, and the ack's count is one the question really had (0..VOTERS)."""
    session = db.session.get(AgendaSession, qa.session.id)
    services.update_settings(services.get_settings(session), moderation="open", is_open=True, anonymous_allowed=False)
    question = services.ask(session, pt.from_user(qa.outsider), "Et maintenant ?")
    commit()
    question_id = question.id
    db.session.remove()
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", False)
    told: list[int] = []
    errors = _race(app, lambda k, n: told.append(ballots.toggle_vote(
        services.get_question(question_id), pt.Participant(key=f"u:{2000 + n}", kind="user"), k % 2 == 0)[0].votes))
    assert not errors, errors
    q = db.session.get(Question, question_id)
    db.session.refresh(q)
    votes = db.session.scalar(db.select(db.func.count()).select_from(Vote).where(Vote.question_id == question_id))
    assert q.votes == votes and 0 <= votes <= VOTERS
    assert len(told) == THREADS * VOTERS and all(0 <= n <= VOTERS for n in told)


def test_racing_poll_votes_count_once(app, qa, monkeypatch):
    session = db.session.get(AgendaSession, qa.session.id)
    poll = polls.create_poll(session, "Priorité ?", ["Fibre", "Satellite"])
    polls.set_state(poll, "open")
    commit()
    poll_id, option_id = poll.id, poll.options[0].id
    db.session.remove()
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", False)  # restored after the test
    errors = _race(app, lambda k, n: polls.vote(
        db.session.get(Poll, poll_id), pt.Participant(key=f"u:{2000 + n}", kind="user"), [option_id]))
    assert all("already_voted" in e or "Conflict" in e for e in errors), errors
    poll = db.session.get(Poll, poll_id)
    assert poll.voters == VOTERS and poll.options[0].votes == VOTERS
