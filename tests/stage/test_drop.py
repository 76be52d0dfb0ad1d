"""A publisher's socket drops (`upkeep.mark_reconnecting`, started by the /stage namespace's disconnect): the
managers see "reconnecting" until the page reports again — unless the page has already reported on a new socket
(a phone moving from Wi-Fi to 4G reports there before the server notices the old socket is gone): then it stays
"joined", or every screen would drop and resubscribe the speaker."""

from __future__ import annotations

from datetime import timedelta

from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.stage import broadcast as bc
from eventhub.stage import services as svc
from eventhub.stage import upkeep
from eventhub.stage.models import StageParticipant, StageRole


def _joined_minister(world, stage) -> tuple[StageParticipant, object]:  # noqa: ANN001
    p = svc.ensure_participant(stage, StageRole.PANELIST, world.minister)
    svc.report(stage, p, connection="joined", quality={})
    commit()
    return p, p.reported_at


def _connection(participant_id: int) -> str:
    db.session.remove()
    return db.session.get(StageParticipant, participant_id).connection


def test_a_dropped_socket_shows_reconnecting_to_the_managers(app, world, stage):
    p, last = _joined_minister(world, stage)
    seq = bc.current_seq(stage.id)
    upkeep.mark_reconnecting(app, {stage.id: p.id}, {stage.id: last})
    assert _connection(p.id) == "reconnecting"
    assert bc.current_seq(stage.id) > seq  # recorded: managers and screens replay it on reconnect


def test_a_report_on_a_newer_socket_keeps_them_joined(app, world, stage):
    p, last = _joined_minister(world, stage)
    older = last - timedelta(seconds=3)  # the dropped socket's last report came before the new socket's
    upkeep.mark_reconnecting(app, {stage.id: p.id}, {stage.id: older})
    assert _connection(p.id) == "joined"
    # A socket that never reported (credentials only) still marks them: nothing says another one took over.
    upkeep.mark_reconnecting(app, {stage.id: p.id}, {})
    assert _connection(p.id) == "reconnecting"


def test_a_failure_is_logged_not_raised(app, world, stage, caplog):
    p, _last = _joined_minister(world, stage)
    upkeep.mark_reconnecting(app, {stage.id: p.id}, {stage.id: "not a time"})  # type: ignore[dict-item]
    assert "marking" in caplog.text and _connection(p.id) == "joined"
