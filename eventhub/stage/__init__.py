"""The stage: remote panelists live on the hall's screen, the hall live to remote attendees (Janus does the media)."""

from __future__ import annotations

from flask import Flask

from eventhub import signals
from eventhub.core.live import attach
from eventhub.stage import cli, receivers, upkeep
from eventhub.stage.routes import bp
from eventhub.stage.sockets import register_namespace


def register(app: Flask) -> None:
    """Called by the app factory: the /stage namespace, the blueprint and the signal receivers."""
    attach(register_namespace())
    app.register_blueprint(bp)
    signals.session_saved.connect(receivers.on_session_saved)
    signals.speech_started.connect(receivers.on_speech_started)
    signals.speech_ended.connect(receivers.on_speech_ended)
    signals.ticket_revoked.connect(receivers.on_ticket_revoked)
    signals.staged_sessions_collect.connect(receivers.staged_sessions)
    signals.janus_server_down.connect(upkeep.on_janus_server_down)
    upkeep.start_upkeep(app)
    cli.register(app)
