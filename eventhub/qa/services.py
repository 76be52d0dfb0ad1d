"""Q&A rules: settings, asking, voting, moderating, rate limits and snapshots. Services flush, never commit."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from eventhub.auth.models import Role, User
from eventhub.auth.services import has_role
from eventhub.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from eventhub.core.ids import valid_id as valid_id  # re-exported: callers use services.valid_id
from eventhub.core.text import one_line as one_line  # re-exported: polls use it
from eventhub.core.types import utcnow
from eventhub.events.models import Event, EventStatus
from eventhub.extensions import db
from eventhub.qa import broadcast as bc
from eventhub.qa.limits import RateLimited as RateLimited  # re-exported: callers use services.*
from eventhub.qa.limits import check_join_rate as check_join_rate
from eventhub.qa.limits import check_rate
from eventhub.qa.models import (
    Moderation,
    Poll,
    PollStatus,
    PollVote,
    QaSettings,
    Question,
    QuestionStatus,
    Vote,
)
from eventhub.qa.participants import Participant
from eventhub.schedule.models import AgendaSession, SessionPanelist

QUESTION_MAX = 500
REASON_MAX = 300
VISIBLE = (QuestionStatus.APPROVED, QuestionStatus.ANSWERED)  # what the audience lists and may vote on
_SHORT_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: typed from a projected slide


# --- sessions and settings ------------------------------------------------------------------------------------

def is_public(session: AgendaSession) -> bool:
    """The audience may see it: published in the schedule of an event that is not a draft (as over HTTP)."""
    if not session.is_published:
        return False
    event = db.session.get(Event, session.event_id)
    return event is not None and event.status != EventStatus.DRAFT


def session_not_found() -> NotFound:
    return NotFound("session_not_found", _l("No such session."))


def get_session(session_id: int, *, published_only: bool = True) -> AgendaSession:
    session = db.session.get(AgendaSession, session_id) if valid_id(session_id) else None
    if session is None or (published_only and not is_public(session)):
        raise session_not_found()
    return session


def create_settings(session: AgendaSession) -> QaSettings:
    """The session's Q&A settings (pre-moderated, open, no anonymous), made with the session itself (the
    `session_saved` signal): the short code a projected QR code carries exists before any page shows it."""
    taken = True
    while taken:  # 31**7 codes: a clash is rare, but the column is unique
        code = "".join(secrets.choice(_SHORT_ALPHABET) for _ in range(7))
        taken = db.session.scalar(db.select(QaSettings.session_id).where(QaSettings.short_code == code)) is not None
    settings = QaSettings(session_id=session.id, event_id=session.event_id, moderation=Moderation.PRE,
                          is_open=True, anonymous_allowed=False, seq=0, short_code=code)
    db.session.add(settings)
    return settings


def get_settings(session: AgendaSession) -> QaSettings:
    """Read only: every session has its row (made with it; migration 0013 filled in older sessions)."""
    settings = db.session.get(QaSettings, session.id)
    if settings is None:
        raise NotFound("qa_not_found", _l("This session has no Q&A."))
    return settings


def settings_by_short_code(code: str) -> QaSettings | None:
    if not code or len(code) > 16 or not all(c in _SHORT_ALPHABET for c in code.lower()):
        return None  # also keeps NUL and other junk away from the database
    return db.session.scalar(db.select(QaSettings).where(QaSettings.short_code == code.lower()))


def update_settings(settings: QaSettings, *, moderation: str, is_open: bool, anonymous_allowed: bool) -> QaSettings:
    settings.moderation = Moderation(moderation)
    settings.is_open, settings.anonymous_allowed = is_open, anonymous_allowed
    settings.updated_at = utcnow()
    bc.record_settings(settings)
    return settings


# --- who may do what ------------------------------------------------------------------------------------------

def is_moderator(user: User | None, session: AgendaSession) -> bool:
    return has_role(user, session.event_id, Role.MODERATOR, Role.ORGANIZER)


def require_moderator(user: User | None, session: AgendaSession) -> None:
    if not is_moderator(user, session):
        raise Forbidden("not_moderator", _l("Only the session's moderators and the organizers may do this."))


def check_participant(participant: Participant | None, session: AgendaSession, settings: QaSettings) -> Participant:
    """The participant may ask and vote in this session; else a domain error saying why."""
    refusal = participant_refusal(participant, session_id=session.id, event_id=session.event_id,
                                  anonymous_allowed=settings.anonymous_allowed)
    if refusal is not None:
        raise refusal
    assert participant is not None
    return participant


def participant_refusal(participant: Participant | None, *, session_id: int, event_id: int,
                        anonymous_allowed: bool) -> DomainError | None:
    """Why this participant may not ask or vote in the session (None: they may). Votes are judged in batches
    (eventhub.qa.ballots), so the rule returns its refusal instead of raising it."""
    if participant is None:
        return Forbidden("not_participant", _l("Open the Q&A with your ticket link or sign in to take part."))
    if participant.kind == "ticket" and participant.event_id != event_id:
        return Forbidden("wrong_event", _l("Your ticket is for another event."))
    if participant.kind == "anonymous":
        if participant.session_id != session_id:
            return Forbidden("wrong_session", _l("This participant key is for another session."))
        if not anonymous_allowed:
            return Forbidden("anonymous_not_allowed",
                             _l("This session does not take anonymous participants: use your ticket link."))
    return None


def check_viewer(session: AgendaSession, participant: Participant | None, *, panelist_event_id: int | None) -> None:
    """A non-moderator may watch this session's Q&A: a ticket or a panelist link only opens its own event."""
    if participant is not None and participant.kind == "ticket" and participant.event_id != session.event_id:
        raise Forbidden("wrong_event", _l("Your ticket is for another event."))
    if panelist_event_id is not None and panelist_event_id != session.event_id:
        raise Forbidden("wrong_event", _l("Your link is for another event."))


def on_panel(session_id: int, panelist_id: int) -> bool:
    """The panelist sits on this session's panel."""
    return db.session.scalar(db.select(SessionPanelist.id).where(
        SessionPanelist.session_id == session_id, SessionPanelist.panelist_id == panelist_id)) is not None


# --- questions ------------------------------------------------------------------------------------------------

def clean_text(text: Any, *, field: str = "text") -> str:
    """Any language and script; whitespace runs collapsed; empty and over-long texts refused (HTML is kept as
    text: every view escapes it)."""
    value = one_line(text)
    if not value:
        raise ValidationFailed("empty_text", _l("Write your question first."), fields={field: [str(_l("Required."))]})
    if len(value) > QUESTION_MAX:
        message = _l("At most %(n)d characters.", n=QUESTION_MAX)
        raise ValidationFailed("text_too_long", message, fields={field: [str(message)]})
    return value


def get_question(question_id: int) -> Question:
    """The question, with its session, event and settings in the same round trip (the checks of a vote or a
    moderation then find them in the session's identity map instead of asking the database four more times)."""
    row = db.session.execute(
        db.select(Question, AgendaSession, Event, QaSettings)
        .join(AgendaSession, AgendaSession.id == Question.session_id).join(Event, Event.id == AgendaSession.event_id)
        .outerjoin(QaSettings, QaSettings.session_id == Question.session_id).where(Question.id == question_id)
    ).first() if valid_id(question_id) else None
    if row is None:
        raise NotFound("question_not_found", _l("No such question."))
    db.session.info.setdefault("qa_context", []).append(row)  # the identity map holds objects weakly
    return row[0]


def ask(session: AgendaSession, participant: Participant, text: str, *, anonymous: bool = False,
        now: datetime | None = None, source: str | None = None, busy_source: bool = False) -> Question:
    settings = get_settings(session)
    check_participant(participant, session, settings)
    if not settings.is_open or session.is_cancelled:
        raise Conflict("qa_closed", _l("Questions are closed for this session."))
    text = clean_text(text)
    check_rate("ask", participant)
    now = now or utcnow()
    open_moderation = settings.moderation == Moderation.OPEN
    question = Question(
        session_id=session.id, registration_id=participant.registration_id, user_id=participant.user_id,
        participant_key=participant.key[2:] if participant.kind == "anonymous" else None,
        author_key=participant.key, author_name=participant.name[:200],
        anonymous=anonymous or participant.kind == "anonymous", text=text,
        status=QuestionStatus.APPROVED if open_moderation else QuestionStatus.PENDING,
        approved_at=now if open_moderation else None, created_at=now,
        source=(source or None) and source[:16], busy_source=busy_source,
    )
    db.session.add(question)
    bc.record_question(question)
    return question


def voted_ids(session_id: int, participant: Participant | None) -> list[int]:
    if participant is None:
        return []
    return list(db.session.scalars(
        db.select(Vote.question_id).join(Question, Question.id == Vote.question_id)
        .where(Question.session_id == session_id, Vote.voter_key == participant.key)))


# --- moderation -----------------------------------------------------------------------------------------------

def _refuse(action: str) -> Conflict:
    return Conflict("invalid_transition", _l("This question cannot be changed that way now."),
                    fields={"action": [action]})


def moderate(question: Question, action: str, *, by: User, reason: str | None = None, text: str | None = None,
             into_id: int | None = None, panelist_id: int | None = None,
             now: datetime | None = None) -> list[Question]:
    """One moderator action; returns the questions it changed (merging changes two)."""
    session = db.session.get_one(AgendaSession, question.session_id)
    require_moderator(by, session)
    now = now or utcnow()
    status = question.status
    changed = [question]
    if action == "approve":
        if status not in (QuestionStatus.PENDING, QuestionStatus.REJECTED, QuestionStatus.ARCHIVED) \
                or question.merged_into_id is not None:
            raise _refuse(action)
        question.status, question.reject_reason = QuestionStatus.APPROVED, ""
        question.approved_at = question.approved_at or now
    elif action == "reject":
        # Only before the room saw it: a question already shown is archived instead.
        if status != QuestionStatus.PENDING:
            raise _refuse(action)
        reason = one_line(reason)
        if len(reason) > REASON_MAX:
            raise ValidationFailed("reason_too_long", _l("At most %(n)d characters.", n=REASON_MAX))
        question.status, question.reject_reason, question.pinned = QuestionStatus.REJECTED, reason, False
    elif action in ("pin", "unpin"):
        if action == "pin":
            if status not in VISIBLE:
                raise _refuse(action)
            for other in db.session.scalars(db.select(Question).where(
                    Question.session_id == question.session_id, Question.pinned.is_(True), Question.id != question.id)):
                other.pinned = False
                changed.append(other)
        question.pinned = action == "pin"
    elif action == "answer":
        if status not in VISIBLE:
            raise _refuse(action)
        question.status, question.answered_at = QuestionStatus.ANSWERED, now
    elif action == "archive":
        if status == QuestionStatus.ARCHIVED:
            raise _refuse(action)
        question.status, question.pinned = QuestionStatus.ARCHIVED, False
    elif action == "edit":
        if status in (QuestionStatus.ARCHIVED, QuestionStatus.REJECTED):
            raise _refuse(action)
        question.text, question.edited_at = clean_text(text), now
    elif action == "merge":
        changed.append(_merge(question, into_id))
    elif action == "address":
        if status in (QuestionStatus.ARCHIVED, QuestionStatus.REJECTED):
            raise _refuse(action)
        if panelist_id is not None and not on_panel(question.session_id, panelist_id):
            raise NotFound("panelist_not_found", _l("This panelist is not on this session's panel."))
        question.addressed_to_id = panelist_id
    else:
        raise ValidationFailed("invalid_action", _l("Unknown action."), fields={"action": [str(action)]})
    for q in changed:
        bc.record_question(q)
    return changed


def _merge(duplicate: Question, into_id: int | None) -> Question:
    """The duplicate is archived, pointing at the kept question; its voters' votes move over (once each)."""
    target = db.session.get(Question, into_id) if valid_id(into_id) else None
    if target is None or target.session_id != duplicate.session_id or target.id == duplicate.id:
        raise NotFound("question_not_found", _l("Choose a question of the same session to merge into."))
    if duplicate.status == QuestionStatus.ARCHIVED or target.status in (QuestionStatus.ARCHIVED,
                                                                         QuestionStatus.REJECTED):
        raise _refuse("merge")
    already = set(db.session.scalars(db.select(Vote.voter_key).where(Vote.question_id == target.id)))
    for vote in db.session.scalars(db.select(Vote).where(Vote.question_id == duplicate.id)):
        if vote.voter_key in already or vote.voter_key == target.author_key:
            continue
        db.session.add(Vote(question_id=target.id, voter_key=vote.voter_key))
        already.add(vote.voter_key)
    if duplicate.author_key not in already and duplicate.author_key != target.author_key:
        db.session.add(Vote(question_id=target.id, voter_key=duplicate.author_key))  # the asker backs it too
    db.session.flush()
    target.votes = db.session.scalar(db.select(db.func.count()).select_from(Vote).where(Vote.question_id == target.id))
    duplicate.status, duplicate.merged_into_id, duplicate.pinned = QuestionStatus.ARCHIVED, target.id, False
    if target.status == QuestionStatus.PENDING and duplicate.approved_at is not None:
        target.status, target.approved_at = QuestionStatus.APPROVED, utcnow()
    return target


# --- snapshots ------------------------------------------------------------------------------------------------

def vote_counts(session_id: int, question_ids: set[int] | None = None) -> dict[str, int]:
    query = db.select(Question.id, Question.votes).where(Question.session_id == session_id,
                                                         Question.status.in_(VISIBLE))
    if question_ids is not None:
        query = query.where(Question.id.in_(question_ids))
    return {str(qid): votes for qid, votes in db.session.execute(query)}


def session_polls(session_id: int, *, moderator: bool) -> list[dict[str, Any]]:
    """The session's polls as this viewer may see them; options loaded in one query, not one per poll."""
    query = db.select(Poll).where(Poll.session_id == session_id).options(selectinload(Poll.options))
    if not moderator:
        query = query.where(Poll.status != PollStatus.DRAFT)
    return [bc.poll_view(p) if moderator else bc.public_poll(bc.poll_view(p))
            for p in db.session.scalars(query.order_by(Poll.id))]


def catch_up(session_id: int, *, moderator: bool) -> dict[str, Any]:
    """What a `join` answered with `missed` carries besides the messages: the current vote counts and polls
    (they travel in unnumbered, coalesced messages). Two queries, not a whole snapshot."""
    return {"counts": vote_counts(session_id), "polls": session_polls(session_id, moderator=moderator)}


def snapshot(session: AgendaSession, *, moderator: bool, participant: Participant | None,
             panelist_id: int | None = None) -> dict[str, Any]:
    """Everything a viewer needs to draw the session's Q&A; clients replace their state with it."""
    settings = get_settings(session)
    key = participant.key if participant else None
    query = db.select(Question).where(Question.session_id == session.id)
    if not moderator and key:
        # The author keeps their own questions in view, a merged one too (shown as "merged into …").
        query = query.where(db.or_(Question.status.in_(VISIBLE), db.and_(
            Question.author_key == key,
            db.or_(Question.status != QuestionStatus.ARCHIVED, Question.merged_into_id.is_not(None)))))
    elif not moderator:
        query = query.where(Question.status.in_(VISIBLE))
    questions = []
    for q in db.session.scalars(query.order_by(Question.id)):
        view = bc.question_view(q)
        if moderator:
            questions.append(view)
        elif key and q.author_key == key:
            questions.append(bc.author_question(view))
        else:
            questions.append({**bc.public_question(view), "mine": False})
    poll_views = session_polls(session.id, moderator=moderator)
    my_polls: dict[str, list[int]] = {}
    if key:
        for poll_id, option_ids in db.session.execute(
                db.select(PollVote.poll_id, PollVote.option_ids).join(Poll, Poll.id == PollVote.poll_id)
                .where(Poll.session_id == session.id, PollVote.voter_key == key)):
            my_polls[str(poll_id)] = [int(x) for x in option_ids.split(",") if x]
    return {
        "session": {"id": session.id, "title": session.title, "event_id": session.event_id},
        "settings": bc.settings_view(settings), "questions": questions, "polls": poll_views,
        "me": {"moderator": moderator, "participant": participant.kind if participant else None,
               "panelist_id": panelist_id, "voted": voted_ids(session.id, participant), "poll_votes": my_polls},
    }
