"""`flask stage links [--session N] [--open]`: the addresses of a stage (screen, room feed, console, each remote
panelist's stage page); `--open` opens it first (as one of the event's organizers) when Janus answers."""

from __future__ import annotations

import click
from flask import Flask

from eventhub.auth.models import EventRole, Role, User
from eventhub.core.db import commit
from eventhub.core.errors import DomainError
from eventhub.core.urls import external_url
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.schedule import panelists as pan
from eventhub.schedule.models import AgendaSession, ParticipationMode
from eventhub.stage import services as svc
from eventhub.stage.models import Stage, StageState


def _default_stage() -> Stage | None:
    """The earliest session's stage that has a remote panelist (the demo: the official opening)."""
    query = (db.select(Stage).join(AgendaSession, AgendaSession.id == Stage.session_id)
             .order_by(AgendaSession.starts_at, Stage.id))
    for stage in db.session.scalars(query):
        session = svc.session_of(stage)
        if any(sp.effective_mode == ParticipationMode.REMOTE for sp in session.panelists):
            return stage
    return None


def register(app: Flask) -> None:
    @app.cli.group("stage")
    def stage_group() -> None:
        """The stage (remote panelists on the hall's screen, the hall live to remote attendees)."""

    @stage_group.command("links")
    @click.option("--session", "session_id", type=int, default=None, help="Agenda session id (default: the demo's).")
    @click.option("--open", "open_it", is_flag=True, help="Open the stage in Janus if it is closed.")
    def links(session_id: int | None, open_it: bool) -> None:
        session = db.session.get(AgendaSession, session_id) if session_id else None
        stage = svc.get_stage(session) if session is not None else _default_stage()
        if stage is None:
            click.echo("stage: no session with a remote panelist")
            return
        session = svc.session_of(stage)
        if open_it and stage.state in (StageState.CLOSED, StageState.ENDED):
            organizer = db.session.scalar(db.select(User).join(EventRole, EventRole.user_id == User.id).where(
                EventRole.event_id == session.event_id, EventRole.role == Role.ORGANIZER).order_by(User.id))
            try:
                svc.open_stage(stage, by=organizer, media=svc.media_backend())
                commit()
            except DomainError as exc:
                db.session.rollback()
                click.echo(f"stage not opened: {exc.message}")
        commit()
        click.echo(f"Stage of “{session.title}” ({stage.state.value}):")
        click.echo(f"  stage screen   {external_url('stage.screen', session_id=session.id, key=stage.screen_key)}")
        click.echo(f"  room feed      {external_url('stage.room_feed', session_id=session.id, key=stage.screen_key)}")
        console = external_url("stage.console", event_id=session.event_id, session_id=session.id)
        click.echo(f"  stage manager  {console}")
        event = db.session.get(Event, session.event_id)
        for sp in session.panelists:
            if sp.effective_mode == ParticipationMode.REMOTE and event is not None:
                link = external_url("stage.panelist_stage", slug=event.slug, token=pan.make_link_token(sp.panelist),
                                    session_id=session.id)
                click.echo(f"  remote panelist {sp.panelist.name}: {link}")

