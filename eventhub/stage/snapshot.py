"""Everything a stage client needs to draw the stage at once; clients replace their state with it."""

from __future__ import annotations

from typing import Any

from eventhub.extensions import db
from eventhub.schedule.models import AgendaSession, Panelist
from eventhub.stage import broadcast as bc
from eventhub.stage import services as svc
from eventhub.stage.access import Holder
from eventhub.stage.models import Stage, StageParticipant, StageRole


def snapshot(stage: Stage, session: AgendaSession, *, manager: bool, holder: Holder) -> dict[str, Any]:
    rows = list(db.session.scalars(db.select(StageParticipant).where(StageParticipant.stage_id == stage.id)
                                   .order_by(StageParticipant.id)))
    ids = {p.panelist_id for p in rows if p.panelist_id}
    panelists = {p.id: p for p in db.session.scalars(db.select(Panelist).where(Panelist.id.in_(ids)))} if ids else {}
    views = [bc.participant_view(p, panelists.get(p.panelist_id)) for p in rows]
    if not manager:
        views = [bc.public_participant(v) for v in views]
    mine = None
    if holder.kind == StageRole.PANELIST:
        mine = next((v["id"] for v in views if v["panelist_id"] == holder.panelist_id), None)
    elif holder.kind == StageRole.ROOM_FEED:
        mine = next((v["id"] for v in views if v["role"] == "room_feed"), None)
    return {
        "session": {"id": session.id, "title": session.title, "event_id": session.event_id},
        "stage": bc.stage_view(stage), "participants": views,
        "media": svc.media_backend() is not None,
        "me": {"role": holder.kind.value, "participant_id": mine, "manager": manager},
    }
