"""The app factory: configuration, extensions, every area's blueprints, sockets, signals and background loops."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_babel import lazy_gettext as _l

from config import Config, config_from_env
from eventhub import cli, labels
from eventhub.api.routes import bp as api_bp
from eventhub.auth import passwords
from eventhub.auth.routes import bp as auth_bp
from eventhub.auth.services import load_user_from_session_id
from eventhub.checkin.api import bp as checkin_api_bp
from eventhub.checkin.backup import bp as checkin_backup_bp
from eventhub.checkin.latest import bp as checkin_latest_bp
from eventhub.checkin.routes import bp as checkin_bp
from eventhub.checkin.sockets import register as register_checkin_namespace
from eventhub.core import assets, errors_web, http, i18n, origins, pipeline, revocations, templating
from eventhub.core.db import configure_sqlite, install_session_hooks
from eventhub.core.frames import SafePacket
from eventhub.core.routes import BoundedIntConverter
from eventhub.core.routes import bp as core_bp
from eventhub.events.home import bp as home_bp
from eventhub.events.routes import bp as events_bp
from eventhub.events.routes import register as register_events_home
from eventhub.extensions import babel, compress, csrf, db, limiter, login_manager, migrate, socketio
from eventhub.floor.api import bp as floor_api_bp
from eventhub.floor.routes import bp as floor_bp
from eventhub.floor.sockets import register as register_floor
from eventhub.media import setup as media_setup
from eventhub.qa.routes import bp as qa_bp
from eventhub.qa.sockets import register as register_qa_namespace
from eventhub.registration.routes import bp as registration_bp
from eventhub.report import register as register_report
from eventhub.report.api import bp as report_api_bp
from eventhub.report.rapporteur_routes import bp as report_rapporteur_bp
from eventhub.report.routes import bp as report_bp
from eventhub.schedule import panelists as schedule_panelists
from eventhub.schedule.api import bp as schedule_api_bp
from eventhub.schedule.manage import bp as schedule_manage_bp
from eventhub.schedule.routes import bp as schedule_bp
from eventhub.schedule.sockets import register as register_green_room
from eventhub.stage import register as register_stage

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Config | None = None) -> Flask:
    config = config or config_from_env()
    app = Flask(
        "eventhub",  # the package (this module was its __init__): app name, logger and root path unchanged
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(Path(config.INSTANCE_DIR)),
    )
    app.config.from_object(config)

    http.install(app)  # first: the request body is read before any other hook runs
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    install_session_hooks()
    with app.app_context():
        configure_sqlite(db.engine)

    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)

    passwords.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"

    login_manager.user_loader(load_user_from_session_id)
    login_manager.login_message = _l("Please sign in to open this page.")

    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        channel=app.config["SOCKETIO_CHANNEL"],
        cors_allowed_origins=origins.allowed_origin,  # the app's own origin(s) only
        serializer=SafePacket,  # a malformed frame is a warning, not a traceback
    )
    revocations.register(app)  # the live-connection sweep loop (started with the first live connection)
    register_green_room(app)
    register_checkin_namespace(app)
    register_qa_namespace(app)
    register_floor(app)
    register_report(app)
    register_stage(app)
    media_setup.register(app)
    schedule_panelists.register(app)  # session changes → panelist mail

    _register_blueprints(app)

    assets.register(app)
    errors_web.register(app)
    templating.register(app)
    labels.register(app)
    register_events_home(app)

    cli.register(app)
    pipeline.install(app)  # last: its after_request hook runs before every other (token use, headers)
    return app


def _register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntConverter  # before any rule is added
    for bp in (core_bp, auth_bp, events_bp, registration_bp, checkin_bp, schedule_bp, schedule_manage_bp,
               qa_bp, floor_bp, report_bp, report_rapporteur_bp, home_bp, checkin_backup_bp, checkin_latest_bp):
        app.register_blueprint(bp)
    # The API authenticates with bearer tokens (never cookies), so CSRF does not apply to it; it answers JSON.
    for json_bp in (api_bp, checkin_api_bp, schedule_api_bp, floor_api_bp, report_api_bp):
        errors_web.json_blueprint(json_bp)
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(checkin_api_bp)
    app.register_blueprint(checkin_api_bp)
    csrf.exempt(schedule_api_bp)
    app.register_blueprint(schedule_api_bp)
    csrf.exempt(floor_api_bp)
    app.register_blueprint(floor_api_bp)
    csrf.exempt(report_api_bp)
    app.register_blueprint(report_api_bp)
