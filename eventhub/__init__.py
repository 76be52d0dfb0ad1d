"""EventHub: hybrid conferences — registration, tickets, scheduling, check-in and live Q&A."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from config import Config, config_from_env

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Config | None = None) -> Flask:
    config = config or config_from_env()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(Path(config.INSTANCE_DIR)),
    )
    app.config.from_object(config)

    from eventhub.core.db import configure_sqlite, install_session_hooks
    from eventhub.extensions import babel, compress, csrf, db, limiter, login_manager, migrate, socketio

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    install_session_hooks()
    with app.app_context():
        configure_sqlite(db.engine)

    from eventhub.core import i18n

    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"

    from eventhub.auth.services import load_user_from_session_id

    login_manager.user_loader(load_user_from_session_id)
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to open this page.")

    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        channel=app.config["SOCKETIO_CHANNEL"],
        cors_allowed_origins=[],  # same origin only
    )
    from eventhub.schedule.sockets import GREEN_ROOM_NS, GreenRoomNamespace

    socketio.on_namespace(GreenRoomNamespace(GREEN_ROOM_NS))
    from eventhub.checkin.sockets import CheckInNamespace

    socketio.on_namespace(CheckInNamespace("/checkin"))
    from eventhub.qa.sockets import register as register_qa_namespace

    register_qa_namespace(app)

    _register_blueprints(app)

    from eventhub.core import assets, errors_web, templating

    assets.register(app)
    errors_web.register(app)
    templating.register(app)

    from eventhub import cli

    cli.register(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from eventhub.core.routes import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter  # before any rule is added
    from eventhub.api.routes import bp as api_bp
    from eventhub.auth.routes import bp as auth_bp
    from eventhub.checkin.api import bp as checkin_api_bp
    from eventhub.checkin.backup import bp as checkin_backup_bp
    from eventhub.checkin.latest import bp as checkin_latest_bp
    from eventhub.checkin.routes import bp as checkin_bp
    from eventhub.core.routes import bp as core_bp
    from eventhub.events.home import bp as home_bp
    from eventhub.events.routes import bp as events_bp
    from eventhub.extensions import csrf
    from eventhub.qa.routes import bp as qa_bp
    from eventhub.registration.routes import bp as registration_bp
    from eventhub.schedule.api import bp as schedule_api_bp
    from eventhub.schedule.manage import bp as schedule_manage_bp
    from eventhub.schedule.routes import bp as schedule_bp

    for bp in (core_bp, auth_bp, events_bp, registration_bp, checkin_bp, schedule_bp, schedule_manage_bp,
               qa_bp, home_bp, checkin_backup_bp, checkin_latest_bp):
        app.register_blueprint(bp)
    # The API authenticates with bearer tokens (never cookies), so CSRF does not apply to it.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(checkin_api_bp)
    app.register_blueprint(checkin_api_bp)
    csrf.exempt(schedule_api_bp)
    app.register_blueprint(schedule_api_bp)
