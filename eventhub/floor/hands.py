"""Raised hands: an attendee asks for the floor from the session's live page; a moderator accepts or declines.

Identity is the Q&A participant's (eventhub/qa/participants.py): a ticket holder, a signed-in user, or an anonymous
key where the session's Q&A admits anonymous participants. Accepting puts the requester on the list of speakers
with "audio only" unless the moderator allows video; nobody publishes anything before that (the stage reads the
entry's `video_allowed` and `remote` when `speech_started` arrives).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from limits import parse
from sqlalchemy.exc import IntegrityError

from eventhub.auth.models import User
from eventhub.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed, strip_control
from eventhub.core.types import utcnow
from eventhub.extensions import db, limiter
from eventhub.floor import broadcast as bc
from eventhub.floor import services
from eventhub.floor.models import Hand, HandStatus, Speaker
from eventhub.qa.models import QaSettings
from eventhub.qa.participants import Participant
from eventhub.schedule.models import AgendaSession

TOPIC_MAX = 140


class RateLimited(DomainError):
    status = 429


def check_participant(participant: Participant | None, session: AgendaSession) -> Participant:
    if participant is None:
        raise Forbidden("not_participant", _l("Open this page with your ticket link or sign in to ask for the floor."))
    if participant.kind == "ticket" and participant.event_id != session.event_id:
        raise Forbidden("wrong_event", _l("Your ticket is for another event."))
    if participant.kind == "anonymous":
        qa = db.session.get(QaSettings, session.id)
        if participant.session_id != session.id:
            raise Forbidden("wrong_session", _l("This participant key is for another session."))
        if qa is None or not qa.anonymous_allowed:
            raise Forbidden("anonymous_not_allowed",
                            _l("This session does not take anonymous participants: use your ticket link."))
    return participant


def rate_limit(participant: Participant, what: str = "hand") -> None:
    """Per participant and kind of request (`hand`: asking for the floor; `finish`: handing it back), across
    processes (the limiter's storage is Redis when scaled out)."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    limit = parse(current_app.config["FLOOR_HAND_LIMIT"])
    if not limiter.limiter.hit(limit, "floor", what, participant.key):
        raise RateLimited("rate_limited", _l("You are asking too often. Please wait a minute.") if what == "hand"
                          else _l("Too many attempts. Please wait a moment and try again."))


def get_hand(hand_id: Any) -> Hand:
    hand = db.session.get(Hand, hand_id) if services.valid_id(hand_id) else None
    if hand is None:
        raise NotFound("hand_not_found", _l("No such request for the floor."))
    return hand


def raise_hand(session: AgendaSession, participant: Participant | None, topic: str = "", *,
               in_room: bool = False) -> Hand:
    participant = check_participant(participant, session)
    settings = services.get_settings(session)
    if not settings.hands_open or session.is_cancelled:
        raise Conflict("hands_closed", _l("Requests for the floor are closed for this session."))
    topic = " ".join(strip_control(topic or "").split())
    if len(topic) > TOPIC_MAX:
        message = _l("At most %(n)d characters.", n=TOPIC_MAX)
        raise ValidationFailed("topic_too_long", message, fields={"topic": [str(message)]})
    rate_limit(participant)
    hand = Hand(session_id=session.id, participant_key=participant.key, name=participant.name or "", topic=topic,
                remote=not in_room, status=HandStatus.PENDING, video_allowed=False)
    try:
        with db.session.begin_nested():
            db.session.add(hand)
            db.session.flush()
    except IntegrityError:
        raise Conflict("hand_already_raised", _l("You have already asked for the floor.")) from None
    bc.record_hand(hand)
    return hand


def withdraw_hand(hand: Hand, participant: Participant | None) -> Hand:
    if participant is None or hand.participant_key != participant.key:
        raise Forbidden("not_your_hand", _l("This request is not yours."))
    if hand.status != HandStatus.PENDING:
        raise Conflict("hand_not_pending", _l("This request was already answered."))
    hand.status, hand.decided_at = HandStatus.WITHDRAWN, utcnow()
    bc.record_hand(hand)
    return hand


def decide(hand: Hand, *, by: User, accept: bool, video_allowed: bool = False,
           name: str | None = None) -> Speaker | None:
    """Accept (the requester joins the list of speakers; audio only unless `video_allowed`) or decline."""
    session = services.session_of(hand.session_id)
    services.require_moderator(by, session)
    # A conditional UPDATE: two moderators answering at once cannot both accept.
    claimed = db.session.execute(db.update(Hand).where(Hand.id == hand.id, Hand.status == HandStatus.PENDING)
                                 .values(status=HandStatus.ACCEPTED if accept else HandStatus.DECLINED,
                                         video_allowed=bool(accept and video_allowed), decided_at=utcnow())
                                 .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if claimed != 1:
        raise Conflict("hand_not_pending", _l("This request was already answered."))
    db.session.refresh(hand)
    speaker = None
    if accept:
        speaker = services.add_speaker(session, by=by, kind="attendee", name=name or hand.name or _anonymous(),
                                       participant_key=hand.participant_key, remote=hand.remote,
                                       video_allowed=hand.video_allowed, hand_id=hand.id)
    bc.record_hand(hand)
    return speaker


def _anonymous() -> str:
    return str(_l("Attendee"))
