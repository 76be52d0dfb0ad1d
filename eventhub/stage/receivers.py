"""Reactions to other areas' signals (connected in `eventhub.stage.register`). They run inside the sender's
transaction: they flush, and their broadcasts and Janus calls wait for the sender's commit."""

from __future__ import annotations

import logging
from typing import Any

from eventhub.extensions import db
from eventhub.schedule.models import AgendaSession, Panelist
from eventhub.stage import access, credentials
from eventhub.stage import services as svc
from eventhub.stage.models import ParticipantState, Stage, StageRole, StageState

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


def on_speech_started(sender: Any, **_kw: Any) -> None:
    """The floor gave a panelist the word: a remote one goes live on the screen (unless a manager removed them)."""
    stage, participant = _stage_and_participant(sender)
    if stage is None or participant is None or participant.state == ParticipantState.REMOVED:
        return
    svc.bring_live(stage, participant, by=None, floor=True)


def on_speech_ended(sender: Any, **_kw: Any) -> None:
    stage, participant = _stage_and_participant(sender)
    if stage is None or participant is None or participant.state != ParticipantState.LIVE:
        return
    svc.send_backstage(stage, participant, by=None, floor=True)


def on_ticket_revoked(sender: Any, **_kw: Any) -> None:
    """A revoked ticket's stage tokens go at once (removed from Janus after the commit)."""
    registration_id = getattr(sender, "registration_id", None)
    if isinstance(registration_id, int):
        credentials.revoke_for_registration(registration_id, media=svc.media_backend())
