"""Question votes, counted in batches: a storm of votes becomes a few transactions a second, not a queue of them.

Every vote on a process goes through its `BallotBox` (group commit). The first voter to arrive leads: it counts
the ballots waiting at that moment in one transaction — one read of their questions (locked, in id order), one
INSERT and one DELETE of vote rows, one UPDATE of the counts — commits, and hands the lead to the next waiting
voter. A quiet session counts each vote alone and at once; a storm makes bigger batches. Before, each vote was
its own transaction holding a pooled connection while it queued for its question's row lock: at 400 votes/s the
pool ran dry and votes were refused.

Each ballot still gets its own answer — the question's count, or its refusal with its code — and nothing is
acknowledged before its batch is committed. One vote per person holds through the unique constraint (INSERT …
ON CONFLICT DO NOTHING), and the stored count moves only by the rows that really changed.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, Table, case, delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value

from eventhub.auth.models import Role
from eventhub.auth.services import has_role, live_account
from eventhub.core.db import commit
from eventhub.core.errors import Conflict, DomainError, NotFound
from eventhub.core.types import utcnow
from eventhub.events.models import Event, EventStatus
from eventhub.extensions import db
from eventhub.qa.coalesce import votes as vote_flush
from eventhub.qa.limits import check_rate
from eventhub.qa.models import QaSettings, Question, Vote
from eventhub.qa.participants import Participant
from eventhub.qa.services import VISIBLE, participant_refusal
from eventhub.schedule.models import AgendaSession

log = logging.getLogger(__name__)

BATCH_MAX = 500  # ballots per transaction: one statement each for the vote rows and the counts
WAIT_SECONDS = 60.0  # a voter waiting for its batch longer than this gets server_error (never seen: a safety net)
_EXTENSION = "eventhub.ballot_box"
QuestionRow = Row[*tuple[Any, ...]]  # a question with its session's event, visibility and settings


@dataclass(frozen=True)
class Voter:
    """Who casts a ballot, as their connection knows them. `audience` checks that the question is visible to
    them (the socket's rule); a service caller that already decided passes False."""

    participant: Participant | None
    user_id: int | None = None
    session_version: int | None = None
    panelist_event_id: int | None = None
    audience: bool = True


@dataclass(eq=False)
class Ballot:
    question_id: int
    up: bool
    voter: Voter
    votes: int | None = None  # the question's count after its batch
    session_id: int | None = None
    changed: bool = False  # the vote row was inserted or deleted (a repeated vote changes nothing)
    error: DomainError | None = None
    leads: bool = False  # woken to lead the next batch, not with an answer
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def counted(self) -> bool:
        return self.votes is not None or self.error is not None

    def answer(self) -> dict:
        if self.error is not None:
            raise self.error
        return {"question_id": self.question_id, "votes": self.votes, "voted": self.up}


# --- counting (in the caller's session: the batch's own unit of work, or a service caller's) --------------------

def count_ballots(ballots: list[Ballot]) -> None:
    """Judge and record `ballots` in the current session (flushes, never commits). Each ballot gets its count or
    its refusal."""
    if not ballots:
        return
    ids = sorted({b.question_id for b in ballots})
    query = (select(Question.id, Question.session_id, Question.status, Question.author_key, Question.votes,
                    AgendaSession.event_id, AgendaSession.published_at, Event.status.label("event_status"),
                    QaSettings.anonymous_allowed)
             .join(AgendaSession, AgendaSession.id == Question.session_id)
             .join(Event, Event.id == AgendaSession.event_id)
             .outerjoin(QaSettings, QaSettings.session_id == Question.session_id)
             .where(Question.id.in_(ids)).order_by(Question.id))
    if _postgres():
        # Row locks in id order: batches of several processes touching the same questions queue, never deadlock.
        query = query.with_for_update(of=Question.__table__, key_share=True)
    rows: dict[int, QuestionRow] = {r.id: r for r in db.session.execute(query)}
    accepted = []
    for ballot in ballots:
        ballot.error = _judge(ballot, rows.get(ballot.question_id))
        if ballot.error is None:
            ballot.session_id = rows[ballot.question_id].session_id
            accepted.append(ballot)
    delta = _record(accepted)
    counts = {qid: rows[qid].votes for qid in ids if qid in rows}
    moved = {qid: d for qid, d in delta.items() if d}
    if moved:
        table = cast(Table, Question.__table__)
        for qid, votes in db.session.execute(
                update(table).where(table.c.id.in_(sorted(moved)))
                .values(votes=table.c.votes + case(moved, value=table.c.id))
                .returning(table.c.id, table.c.votes)):
            counts[qid] = votes
    for ballot in accepted:
        ballot.votes = counts[ballot.question_id]


def _judge(ballot: Ballot, row: QuestionRow | None) -> DomainError | None:
    """Why this ballot is refused, in the order the socket always answered: the question, the session's
    visibility to this voter, the participant, the question's state, own question, the rate limit."""
    if row is None:
        return NotFound("question_not_found", _l("No such question."))
    voter, participant = ballot.voter, ballot.voter.participant
    try:
        if voter.audience and not _sees(voter, row):
            return NotFound("question_not_found", _l("No such question."))
    except DomainError as exc:  # session_ended
        return exc
    refusal = participant_refusal(participant, session_id=row.session_id, event_id=row.event_id,
                                  anonymous_allowed=bool(row.anonymous_allowed))
    if refusal is not None:
        return refusal
    assert participant is not None  # participant_refusal refused None
    if row.status not in VISIBLE:
        return Conflict("not_votable", _l("This question cannot be voted on."))
    if ballot.up and row.author_key == participant.key:
        return Conflict("own_question", _l("You cannot upvote your own question."))
    try:
        check_rate("vote", participant)
    except DomainError as exc:
        return exc
    return None


def _sees(voter: Voter, row: QuestionRow) -> bool:
    """The session is public and not another event's (for a ticket or panelist link), or the voter moderates it.
    A signed-in voter's account is re-read: a sign-out everywhere ends their rights (session_ended)."""
    event_id = row.event_id
    if voter.user_id is not None:
        user = live_account(voter.user_id, voter.session_version)  # raises session_ended
        if has_role(user, event_id, Role.MODERATOR, Role.ORGANIZER):
            return True
    p = voter.participant
    foreign = (p is not None and p.kind == "ticket" and p.event_id != event_id) or \
        (voter.panelist_event_id is not None and voter.panelist_event_id != event_id)
    public = row.published_at is not None and row.event_status != EventStatus.DRAFT
    return public and not foreign


def _record(accepted: list[Ballot]) -> dict[int, int]:
    """Insert the up-votes and delete the withdrawn ones; returns each question's net change. A person who
    appears twice in one batch (up, then down) is recorded in a later round, in order."""
    delta: dict[int, int] = defaultdict(int)
    pending = [(b, (b.question_id, _key(b))) for b in accepted]
    insert = pg_insert if _postgres() else sqlite_insert
    votes = cast(Table, Vote.__table__)
    while pending:
        seen: set[tuple[int, str]] = set()
        now: list[tuple[Ballot, tuple[int, str]]] = []
        later: list[tuple[Ballot, tuple[int, str]]] = []
        for ballot, key in pending:
            (later if key in seen else now).append((ballot, key))
            seen.add(key)
        ups = [key for ballot, key in now if ballot.up]
        downs = [key for ballot, key in now if not ballot.up]
        done: set[tuple[int, str]] = set()
        if ups:
            stamp = utcnow()
            done |= {(qid, key) for qid, key in db.session.execute(
                insert(votes).values([{"question_id": qid, "voter_key": key, "created_at": stamp} for qid, key in ups])
                .on_conflict_do_nothing().returning(votes.c.question_id, votes.c.voter_key))}
        if downs:
            done |= {(qid, key) for qid, key in db.session.execute(
                delete(votes).where(tuple_(votes.c.question_id, votes.c.voter_key).in_(downs))
                .returning(votes.c.question_id, votes.c.voter_key))}
        for ballot, key in now:
            if key in done:
                ballot.changed = True
                delta[ballot.question_id] += 1 if ballot.up else -1
        pending = later
    return delta


def _key(ballot: Ballot) -> str:
    assert ballot.voter.participant is not None  # judged: participant_refusal refuses None
    return ballot.voter.participant.key


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def toggle_vote(question: Question, participant: Participant | None, up: bool) -> tuple[Question, bool]:
    """Upvote once (or take it back), in the caller's unit of work: for services, the CLI and tests, whose
    caller decided the question is theirs to see. Idempotent: a repeated `up` changes nothing."""
    ballot = Ballot(question.id, up, Voter(participant, audience=False))
    count_ballots([ballot])
    if ballot.error is not None:
        raise ballot.error
    set_committed_value(question, "votes", ballot.votes)
    return question, up


# --- the group commit (sockets) ---------------------------------------------------------------------------------

class BallotBox:
    """One per app and process. `cast` returns once the ballot is counted and committed (or refused)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._waiting: list[Ballot] = []
        self._leading = False

    def cast(self, ballot: Ballot) -> dict:
        with self._lock:
            self._waiting.append(ballot)
            lead = not self._leading
            self._leading = True
        if not lead:
            if not ballot.done.wait(WAIT_SECONDS):
                raise RuntimeError(f"vote on question {ballot.question_id} not counted within {WAIT_SECONDS} s")
            if ballot.counted:
                return ballot.answer()
        self._lead(ballot)
        return ballot.answer()

    def _lead(self, own: Ballot) -> None:
        try:
            while not own.counted:
                with self._lock:
                    batch, self._waiting = self._waiting[:BATCH_MAX], self._waiting[BATCH_MAX:]
                self._count(batch)
        finally:
            with self._lock:  # the next waiting voter leads; none: the next arrival will
                if self._waiting:
                    self._waiting[0].leads = True
                    self._waiting[0].done.set()
                else:
                    self._leading = False

    def _count(self, batch: list[Ballot]) -> None:
        """One transaction, its own unit of work (its own app context, so its own database session)."""
        try:
            with self.app.app_context():
                try:
                    count_ballots(batch)
                    commit()
                finally:
                    db.session.remove()
        except Exception:
            log.exception("a batch of %d votes failed", len(batch))
            for ballot in batch:
                if ballot.error is None:
                    ballot.votes, ballot.changed = None, False
                    ballot.error = _server_error()
        flush = vote_flush(self.app)
        for ballot in batch:
            if ballot.changed and ballot.session_id is not None:
                flush.mark_question(ballot.session_id, ballot.question_id)
            ballot.done.set()


def _server_error() -> DomainError:
    return DomainError("server_error", _l("Something went wrong. Please try again."), status=500)


def install(app: Flask) -> None:
    app.extensions[_EXTENSION] = BallotBox(app)


def ballot_box(app: Flask) -> BallotBox:
    return app.extensions[_EXTENSION]
