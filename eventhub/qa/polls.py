"""Polls: prepared before the session, opened and closed live, one vote per participant."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from eventhub.core.errors import Conflict, NotFound, ValidationFailed
from eventhub.core.types import utcnow
from eventhub.extensions import db
from eventhub.qa import broadcast as bc
from eventhub.qa.models import Poll, PollOption, PollStatus, PollVote
from eventhub.qa.participants import Participant
from eventhub.qa.services import check_participant, check_rate, get_settings, one_line, valid_id
from eventhub.schedule.models import AgendaSession

POLL_QUESTION_MAX = 300
OPTION_MAX = 200
MAX_OPTIONS = 10


def get_poll(poll_id: int) -> Poll:
    poll = db.session.get(Poll, poll_id) if valid_id(poll_id) else None
    if poll is None:
        raise NotFound("poll_not_found", _l("No such poll."))
    return poll


def create_poll(session: AgendaSession, question: str, options: list[str], *, multiple: bool = False) -> Poll:
    errors: dict[str, list[str]] = {}
    question = one_line(question)
    labels = [one_line(o) for o in options]
    labels = [label for label in labels if label]
    if not question or len(question) > POLL_QUESTION_MAX:
        errors["question"] = [str(_l("Between 1 and %(n)d characters.", n=POLL_QUESTION_MAX))]
    if not 2 <= len(labels) <= MAX_OPTIONS or any(len(label) > OPTION_MAX for label in labels):
        errors["options"] = [str(_l("Between 2 and %(n)d choices of at most %(m)d characters.",
                                    n=MAX_OPTIONS, m=OPTION_MAX))]
    elif len(set(labels)) != len(labels):
        errors["options"] = [str(_l("Each choice must be different."))]
    if errors:
        raise ValidationFailed("invalid_poll", _l("Please correct the poll."), fields=errors)
    get_settings(session)
    poll = Poll(session_id=session.id, question=question, multiple=multiple, status=PollStatus.DRAFT,
                options=[PollOption(label=label, position=i) for i, label in enumerate(labels)])
    db.session.add(poll)
    bc.record_poll(poll)
    return poll


def set_state(poll: Poll, action: str, *, now: datetime | None = None) -> Poll:
    now = now or utcnow()
    if action == "open":
        if poll.status != PollStatus.DRAFT:
            raise Conflict("invalid_transition", _l("Only a prepared poll can be opened."))
        poll.status, poll.opened_at = PollStatus.OPEN, now
    elif action == "close":
        if poll.status != PollStatus.OPEN:
            raise Conflict("invalid_transition", _l("Only an open poll can be closed."))
        poll.status, poll.closed_at = PollStatus.CLOSED, now
    elif action in ("show_results", "hide_results"):
        poll.results_visible = action == "show_results"
    else:
        raise ValidationFailed("invalid_action", _l("Unknown action."))
    bc.record_poll(poll)
    return poll


def vote(poll: Poll, participant: Participant, option_ids: list[int]) -> Poll:
    """Once per participant and poll (a unique constraint, so racing requests count once)."""
    session = db.session.get_one(AgendaSession, poll.session_id)
    check_participant(participant, session, get_settings(session))
    if poll.status != PollStatus.OPEN:
        raise Conflict("poll_closed", _l("This poll is not open."))
    chosen = sorted(set(option_ids))
    valid = {o.id for o in poll.options}
    if not chosen or not set(chosen) <= valid or (not poll.multiple and len(chosen) > 1):
        raise ValidationFailed("invalid_choice", _l("Choose one of the poll's answers."),
                               fields={"option_ids": [str(_l("Invalid choice."))]})
    check_rate("vote", participant)
    try:
        with db.session.begin_nested():
            db.session.add(PollVote(poll_id=poll.id, voter_key=participant.key,
                                    option_ids=",".join(str(i) for i in chosen)))
    except IntegrityError:
        raise Conflict("already_voted", _l("You already voted in this poll.")) from None
    db.session.execute(update(PollOption).where(PollOption.id.in_(chosen))
                       .values(votes=PollOption.votes + 1).execution_options(synchronize_session=False))
    db.session.execute(update(Poll).where(Poll.id == poll.id).values(voters=Poll.voters + 1)
                       .execution_options(synchronize_session=False))
    db.session.refresh(poll)
    # The counters were bumped in SQL: reload every option in one query rather than one refresh per option.
    db.session.scalars(db.select(PollOption).where(PollOption.poll_id == poll.id)
                       .execution_options(populate_existing=True)).all()
    return poll


def results(poll: Poll) -> dict:
    return {"session_id": poll.session_id, "poll_id": poll.id, "voters": poll.voters,
            "counts": {str(o.id): o.votes for o in poll.options}}
