"""`flask stage links`: the demo's stage addresses, opened in a real Janus with --open."""

from __future__ import annotations

from eventhub.extensions import db
from eventhub.stage.models import Stage, StageState


def test_links_print_the_screen_console_and_panelist_addresses(app, world):
    result = app.test_cli_runner().invoke(args=["stage", "links", "--session", str(world.session.id)])
    assert result.exit_code == 0, result.output
    assert f"/stage/{world.session.id}/screen?key=" in result.output
    assert f"/manage/events/{world.event.id}/stage/{world.session.id}" in result.output
    assert "/panelist/" in result.output and "Yacine Boudiaf" in result.output
    assert "Aïssata Diallo" not in result.output  # in the hall: no stage link


def test_links_open_the_stage_when_janus_answers(app, world, media):
    sid = world.session.id
    result = app.test_cli_runner().invoke(args=["stage", "links", "--session", str(sid), "--open"])
    assert result.exit_code == 0, result.output
    assert "(open)" in result.output
    stage = db.session.scalar(db.select(Stage).where(Stage.session_id == sid))
    assert stage.state == StageState.OPEN and media.room_exists(stage.janus_server, stage.janus_room_id)
    media.destroy_room(stage.janus_server, stage.janus_room_id, stage.room_secret)


def test_links_without_janus_say_so(app, world):
    result = app.test_cli_runner().invoke(args=["stage", "links", "--session", str(world.session.id), "--open"])
    assert "stage not opened" in result.output and "(closed)" in result.output
