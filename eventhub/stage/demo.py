"""Demo data: the round table's sessions with remote panelists get their stage (closed; `flask stage links --open`
opens the opening's stage when Janus answers, which `make run` does)."""

from __future__ import annotations

from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.schedule.models import AgendaSession, ParticipationMode
from eventhub.stage import services as svc


def load_stage_demo(round_table: Event) -> None:
    sessions = db.session.scalars(db.select(AgendaSession).where(AgendaSession.event_id == round_table.id)
                                  .order_by(AgendaSession.starts_at))
    for session in sessions:
        if any(sp.effective_mode == ParticipationMode.REMOTE for sp in session.panelists):
            svc.get_stage(session)
    db.session.flush()
