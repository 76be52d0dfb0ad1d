"""Reactions to other areas' signals (connected in `eventhub.stage.register`). They run inside the sender's
transaction: they flush, and their broadcasts and Janus calls wait for the sender's commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from eventhub.extensions import db
from eventhub.schedule.models import STAGED_KINDS, AgendaSession, Panelist
from eventhub.stage import access, credentials
from eventhub.stage import services as svc
from eventhub.stage.models import ParticipantState, Stage, StageParticipant, StageRole, StageState

log = logging.getLogger(__name__)


def _stage_and_participant(sender: Any):  # noqa: ANN202
    session_id, panelist_id = getattr(sender, "session_id", None), getattr(sender, "panelist_id", None)
    if not isinstance(session_id, int) or not isinstance(panelist_id, int):
        return None, None
    stage = db.session.scalar(db.select(Stage).where(Stage.session_id == session_id))
    if stage is None or stage.state not in (StageState.OPEN, StageState.LIVE):
        return None, None
    panelist = db.session.get(Panelist, panelist_id)
    session = db.session.get(AgendaSession, session_id)
    if session is None or not access.panelist_on_session(panelist, session):
        return None, None
    return stage, svc.ensure_participant(stage, StageRole.PANELIST, panelist)


def _attendee_turn(sender: Any, speaker: Any) -> tuple[Stage | None, int | None]:
    """A remote attendee's accepted hand (the floor's speaker with a ticket's key "r:<registration id>")."""
    key = getattr(speaker, "participant_key", None) or ""
    if getattr(speaker, "kind", None) != "attendee" or not getattr(speaker, "remote", False) \
            or not key.startswith("r:") or not key[2:].isdigit():
        return None, None
    session_id = getattr(sender, "session_id", None)
    stage = db.session.scalar(db.select(Stage).where(Stage.session_id == session_id))
    if stage is None or stage.state not in (StageState.OPEN, StageState.LIVE):
        return None, None
    return stage, int(key[2:])


def on_speech_started(sender: Any, speaker: Any = None, **_kw: Any) -> None:
    """The floor gave a panelist the word: a remote one goes live on the screen (unless a manager removed them).
    A remote attendee given the floor gets a publisher row, live: that is their right to publish for the turn."""
    stage, registration_id = _attendee_turn(sender, speaker)
    if stage is not None and registration_id is not None:
        p = svc.ensure_attendee_speaker(stage, registration_id=registration_id, hand_id=speaker.hand_id,
                                        name=speaker.name, video_allowed=bool(speaker.video_allowed))
        if p.state != ParticipantState.REMOVED:
            svc.bring_live(stage, p, by=None, floor=True)
        return
    stage, participant = _stage_and_participant(sender)
    if stage is None or participant is None or participant.state == ParticipantState.REMOVED:
        return
    svc.bring_live(stage, participant, by=None, floor=True)


def on_speech_ended(sender: Any, speaker: Any = None, **_kw: Any) -> None:
    stage, registration_id = _attendee_turn(sender, speaker)
    if stage is not None and registration_id is not None:
        row = db.session.scalar(db.select(StageParticipant).where(
            StageParticipant.stage_id == stage.id, StageParticipant.role == StageRole.ATTENDEE,
            StageParticipant.registration_id == registration_id))
        if row is not None:
            svc.end_attendee_turn(stage, row, media=svc.media_backend())
        return
    stage, participant = _stage_and_participant(sender)
    if stage is None or participant is None or participant.state != ParticipantState.LIVE:
        return
    svc.send_backstage(stage, participant, by=None, floor=True)


def on_session_saved(sender: AgendaSession, **_kw: Any) -> None:
    """A session of a staged kind has its stage from its creation, or from the edit that made it one (closed), so
    no page creates it on a GET. A session edited into a break keeps a stage it had (it may have been used)."""
    if sender.kind in STAGED_KINDS and svc.find_stage(sender) is None:
        svc.create_stage(sender)


def on_ticket_revoked(sender: Any, **_kw: Any) -> None:
    """A revoked ticket's stage tokens go at once (removed from Janus after the commit)."""
    registration_id = getattr(sender, "registration_id", None)
    if isinstance(registration_id, int):
        credentials.revoke_for_registration(registration_id, media=svc.media_backend())


def staged_sessions(sender: Any, session_ids: Iterable[int] = (), **_kw: Any) -> set[int]:
    """`staged_sessions_collect`: the sessions among `session_ids` that have a stage (the staged kinds' sessions,
    from their creation: `on_session_saved`), whatever its state: a ticket's pages and emails offer those to
    watch, the organizers' list and a remote panelist's page link their stage."""
    ids = [i for i in session_ids if isinstance(i, int)]
    if not ids:
        return set()
    return set(db.session.scalars(db.select(Stage.session_id).where(Stage.session_id.in_(ids))))
