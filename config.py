"""Configuration classes. Values come from the environment; defaults work with nothing set."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("EVENTHUB_INSTANCE_DIR", BASE_DIR / "instance"))


def _persisted_secret_key(instance_dir: Path) -> str:
    """A development secret generated once and kept in instance/, so sessions survive restarts."""
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _local_janus_servers(instance_dir: Path) -> str:
    """The local Janus written by `flask media janus-config` (JSON list), or "" when there is none."""
    path = instance_dir / "janus" / "servers.json"
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _normalise_db_url(url: str) -> str:
    # Heroku-style URLs say "postgres"; SQLAlchemy 2.1 maps plain "postgresql" to psycopg 3, but we run
    # psycopg2, which psycogreen makes cooperative under gevent.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


class Config:
    """Base configuration, read when instantiated (never at import time)."""

    def __init__(self) -> None:
        env = os.environ
        self.INSTANCE_DIR = str(INSTANCE_DIR)
        self.SECRET_KEY = env.get("SECRET_KEY") or _persisted_secret_key(INSTANCE_DIR)
        self.SQLALCHEMY_DATABASE_URI = _normalise_db_url(
            env.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'eventhub.sqlite3'}"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            # Under gevent one process serves hundreds of concurrent requests; the default pool (5 + 10) ran dry
            # in the Q&A vote storm (bench/qa_fanout.py). Keep size × processes below max_connections.
            self.SQLALCHEMY_ENGINE_OPTIONS.update(
                pool_size=int(env.get("EVENTHUB_DB_POOL_SIZE", "20")), max_overflow=20, pool_timeout=10)
        self.DEFAULT_TIMEZONE = env.get("EVENTHUB_DEFAULT_TIMEZONE", "Africa/Bamako")
        self.BABEL_DEFAULT_LOCALE = env.get("EVENTHUB_DEFAULT_LOCALE", "fr")
        self.BABEL_DEFAULT_TIMEZONE = "UTC"
        self.LANGUAGES = ["fr", "en"]
        self.BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "eventhub" / "translations")
        # Socket.IO: gevent in production (see docs/deployment.md for the measurement).
        self.SOCKETIO_ASYNC_MODE = env.get("SOCKETIO_ASYNC_MODE", "gevent")
        self.SOCKETIO_MESSAGE_QUEUE = env.get("SOCKETIO_MESSAGE_QUEUE") or None
        # Redis pub/sub ignores the database number: two deployments on one Redis need their own channel.
        self.SOCKETIO_CHANNEL = env.get("SOCKETIO_CHANNEL", "eventhub")
        # Mail: SMTP when MAIL_SERVER is set, otherwise the database outbox only.
        self.MAIL_SERVER = env.get("MAIL_SERVER") or None
        self.MAIL_PORT = int(env.get("MAIL_PORT", "25"))
        self.MAIL_USERNAME = env.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = env.get("MAIL_PASSWORD") or None
        self.MAIL_USE_TLS = env.get("MAIL_USE_TLS", "0") == "1"
        self.MAIL_SENDER = env.get("MAIL_SENDER", "EventHub <no-reply@eventhub.local>")
        # Public base URL for links in emails (falls back to the request's host).
        self.PUBLIC_BASE_URL = env.get("PUBLIC_BASE_URL") or None
        # Rate limiting storage: Redis when scaled out, memory for the embedded default.
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI") or env.get("REDIS_URL") or "memory://"
        self.RATELIMIT_ENABLED = True
        self.RATELIMIT_HEADERS_ENABLED = True
        self.PASSWORD_RESET_MAX_AGE = 3600 * 2
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SECURE = env.get("SESSION_COOKIE_SECURE", "0") == "1"
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.WTF_CSRF_TIME_LIMIT = None  # a form left open on a phone all morning still submits
        self.COMPRESS_MIMETYPES = [
            "text/html", "text/css", "text/javascript", "application/javascript",
            "application/json", "image/svg+xml", "text/calendar", "text/csv",
        ]
        self.COMPRESS_MIN_SIZE = 500
        self.MAX_CONTENT_LENGTH = 1 * 1024 * 1024
        # The stage: how long a Janus join token lives without a heartbeat from its browser (seconds).
        self.STAGE_TOKEN_TTL = int(env.get("STAGE_TOKEN_TTL", "120"))
        # Media (docs/stage.md). JANUS_SERVERS: a JSON list of {"name","url","api_secret","admin_url","admin_secret",
        # "public_url"} or comma-separated `url|api_secret|admin_url|admin_secret[|public_url]`; unset, the local
        # Janus that `make run` starts (instance/janus/servers.json, written by `flask media janus-config`).
        self.JANUS_SERVERS = env.get("JANUS_SERVERS") or _local_janus_servers(INSTANCE_DIR)
        self.JANUS_TIMEOUT = float(env.get("JANUS_TIMEOUT", "5"))  # seconds per Janus API call
        self.JANUS_HEALTH_INTERVAL = float(env.get("JANUS_HEALTH_INTERVAL", "5"))  # keepalive period, 0 = off
        self.JANUS_HEALTH_FAILURES = int(env.get("JANUS_HEALTH_FAILURES", "2"))  # missed keepalives → taken out
        self.JANUS_SESSION_TIMEOUT = int(env.get("JANUS_SESSION_TIMEOUT", "15"))  # for the generated local config
        # TURN_URLS: comma-separated, e.g. turn:turn.example.org:3478?transport=udp,turn:turn.example.org:3478?
        # transport=tcp,turns:turn.example.org:443?transport=tcp. TURN_SECRET: coturn's static-auth-secret.
        self.TURN_URLS = env.get("TURN_URLS", "")
        self.TURN_SECRET = env.get("TURN_SECRET") or None
        self.TURN_TTL = int(env.get("TURN_TTL", str(6 * 3600)))  # seconds a TURN credential is valid
        self.STUN_URLS = env.get("STUN_URLS", "")
        self.MEDIA_TOKEN_TTL = int(env.get("MEDIA_TOKEN_TTL", str(4 * 3600)))  # seconds a Janus token is valid
        self.MEDIA_ICE_TRANSPORT_POLICY = env.get("MEDIA_ICE_TRANSPORT_POLICY", "all")  # "relay" forces TURN
        self.TESTING = False


class DevelopmentConfig(Config):
    pass


class ProductionConfig(Config):
    def __init__(self) -> None:
        super().__init__()
        if not os.environ.get("SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set in production")
        self.SESSION_COOKIE_SECURE = True


class TestingConfig(Config):
    __test__ = False  # not a pytest test class
    def __init__(self, database_url: str | None = None) -> None:
        super().__init__()
        self.TESTING = True
        self.SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
        self.SQLALCHEMY_DATABASE_URI = _normalise_db_url(database_url) if database_url else "sqlite://"
        self.SOCKETIO_ASYNC_MODE = "threading"
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.MAIL_SERVER = None
        self.JANUS_SERVERS = ""  # media tests point the app at the Janus they start
        self.TURN_URLS, self.TURN_SECRET = "", None


def config_from_env() -> Config:
    name = os.environ.get("EVENTHUB_CONFIG", "development")
    return {"development": DevelopmentConfig, "production": ProductionConfig}[name]()
