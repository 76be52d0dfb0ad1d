"""Every agenda session has its Q&A settings (the short code a projected QR code carries) from the moment it is
created, and a session someone speaks at (an opening, a panel, pitches) its stage (the screen key); a break or
networking session has no stage. No page creates them on a GET; migration 0013_session_rows gives them to the
sessions made before."""

from __future__ import annotations

import pytest
from flask_migrate import stamp, upgrade

from eventhub.auth.services import create_api_token
from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.qa.models import Moderation, QaSettings
from eventhub.schedule import services
from eventhub.schedule.models import STAGED_KINDS, AgendaSession, SessionKind
from eventhub.stage.models import Stage, StageState
from tests.schedule.conftest import utc


def _rows(session_id: int) -> tuple[list[QaSettings], list[Stage]]:
    db.session.expire_all()
    return (list(db.session.scalars(db.select(QaSettings).where(QaSettings.session_id == session_id))),
            list(db.session.scalars(db.select(Stage).where(Stage.session_id == session_id))))


def test_the_staged_kinds_are_the_sessions_someone_speaks_at():
    assert set(STAGED_KINDS) == {SessionKind.OPENING, SessionKind.PANEL, SessionKind.PITCH}


@pytest.mark.parametrize("kind", list(SessionKind))
def test_creating_a_session_creates_its_q_and_a_settings_and_a_staged_kind_its_stage(make_session, kind):
    session = make_session(kind=kind.value)
    (settings,), stages = _rows(session.id)
    assert (settings.event_id, settings.moderation, settings.is_open, settings.anonymous_allowed, settings.seq) == \
        (session.event_id, Moderation.PRE, True, False, 0)
    assert len(settings.short_code) == 7
    if kind not in STAGED_KINDS:
        assert stages == []
        return
    (stage,) = stages
    assert (stage.event_id, stage.state, stage.seq, stage.janus_room_id, stage.show_question) == \
        (session.event_id, StageState.CLOSED, 0, None, False)
    assert len(stage.screen_key) >= 24


def test_a_session_edited_into_a_staged_kind_gets_its_stage_and_keeps_it(world, make_session):
    session = make_session(kind="break")
    assert _rows(session.id)[1] == []
    data = services.session_data_of(session)
    data.kind = "panel"
    services.update_session(session, data)
    commit()
    (stage,) = _rows(session.id)[1]
    data.kind = "networking"  # a stage that may have been used stays
    services.update_session(db.session.get(AgendaSession, session.id), data)
    commit()
    assert [s.id for s in _rows(session.id)[1]] == [stage.id]
    assert len(_rows(session.id)[0]) == 1  # the Q&A settings, made once


def test_the_form_and_the_api_create_them_too(client, login, world):
    login(world.organizer)
    form = client.post(f"/manage/events/{world.event.id}/schedule/sessions/new", data={
        "title": "Par le formulaire", "kind": "panel", "starts_at": "2027-03-14T10:00", "ends_at": "2027-03-14T11:00",
        "room_id": world.hall.id, "languages": ["fr"]})
    assert form.status_code == 302, form.get_data(as_text=True)[:500]
    _row, token = create_api_token(world.event, world.organizer, "tests")
    commit()
    api = client.post(f"/api/v1/events/{world.event.id}/sessions", headers={"Authorization": f"Bearer {token}"},
                      json={"title": "Par l'API", "kind": "break", "starts_at": "2027-03-14T12:00:00+00:00",
                            "ends_at": "2027-03-14T12:30:00+00:00", "room_id": world.side.id})
    assert api.status_code == 201, api.get_data(as_text=True)[:500]
    for title, stages in (("Par le formulaire", 1), ("Par l'API", 0)):
        session_id = db.session.scalar(db.select(AgendaSession.id).where(AgendaSession.title == title))
        settings, staged = _rows(session_id)
        assert (len(settings), len(staged)) == (1, stages), title


def test_the_migration_gives_older_sessions_their_rows_and_keeps_existing_ones(app, make_session):
    """Sessions as the old code left them (no row until a page was opened) are filled in; rows that exist keep
    their codes, which may already be printed; a break gets its Q&A settings and no stage."""
    opened = make_session(title="Ouverte avant", start=utc(9), end=utc(10))
    untouched = [make_session(title=f"Jamais ouverte {n}", start=utc(10 + n), end=utc(11 + n)) for n in range(3)]
    half = make_session(title="Q&A seule", start=utc(14), end=utc(15))
    pause = make_session(title="Pause", start=utc(15), end=utc(16), kind="break")
    (kept_settings,), (kept_stage,) = _rows(opened.id)
    kept = (kept_settings.short_code, kept_stage.screen_key, kept_stage.id)
    ids, opened_id, half_id, pause_id = [s.id for s in untouched], opened.id, half.id, pause.id
    db.session.execute(db.delete(QaSettings).where(QaSettings.session_id.in_([*ids, pause_id])))
    db.session.execute(db.delete(Stage).where(Stage.session_id.in_([*ids, half_id])))
    commit()
    assert all(_rows(i) == ([], []) for i in [*ids, pause_id])
    db.session.remove()

    stamp(revision="0012_channel_tokens")
    try:
        upgrade(revision="0013_session_rows")  # this migration only: the later ones already ran on this schema

        for session_id in [opened_id, half_id, *ids]:
            settings, stages = _rows(session_id)
            assert (len(settings), len(stages)) == (1, 1), session_id
            assert settings[0].moderation == Moderation.PRE and settings[0].is_open
            assert not settings[0].anonymous_allowed and stages[0].state == StageState.CLOSED
            assert settings[0].updated_at.tzinfo is not None and stages[0].created_at.tzinfo is not None
        settings, stages = _rows(pause_id)
        assert (len(settings), stages) == (1, [])
        (settings,), (stage,) = _rows(opened_id)
        assert (settings.short_code, stage.screen_key, stage.id) == kept
        codes = db.session.scalars(db.select(QaSettings.short_code)).all()
        keys = db.session.scalars(db.select(Stage.screen_key)).all()
        assert len(set(codes)) == len(codes) == 6 and len(set(keys)) == len(keys) == 5
        assert db.session.scalar(db.text("SELECT version_num FROM alembic_version")) == "0013_session_rows"
    finally:
        db.session.remove()
        stamp(revision="head")  # the schema is the head's, whatever happened above: later tests read the version

