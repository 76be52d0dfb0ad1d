"""Configuration classes. Values come from the environment; defaults work with nothing set."""

from __future__ import annotations

import math
import os
import secrets
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

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


MIN_SECRET_BYTES = 32


def weak_secret_reason(key: str) -> str | None:
    """Why a SECRET_KEY does not look random enough to sign sessions, reset links and remember-me cookies
    (None: it does). At least 32 bytes, not a repetition, and at least ~128 bits by a character-frequency
    estimate: `secrets.token_urlsafe(32)`, `token_hex(32)` or `openssl rand -base64 32` all pass."""
    if len(key.encode()) < MIN_SECRET_BYTES:
        return f"it is shorter than {MIN_SECRET_BYTES} bytes"
    if (key + key).find(key, 1) != len(key):
        return "it is a repeated pattern"
    counts = Counter(key)
    if len(counts) < 10:
        return "it uses fewer than 10 distinct characters"
    per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    if per_char * len(key) < 128:
        return "it holds less than 128 bits of entropy"
    return None


def _public_base_url(value: str | None) -> str | None:
    """`https://events.example.org` (no trailing slash), or None when unset; RuntimeError when malformed."""
    if not value:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise RuntimeError(f"PUBLIC_BASE_URL must be an absolute http(s) URL such as https://events.example.org, "
                           f"not {value!r}")
    return value.strip().rstrip("/")


def _host_list(value: str | None) -> list[str] | None:
    hosts = [h.strip() for h in (value or "").split(",") if h.strip()]
    return hosts or None
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
        # Development generates one into instance/ (DevelopmentConfig); production requires a strong one.
        self.SECRET_KEY = env.get("SECRET_KEY") or ""
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
        self.LANGUAGES = ["fr", "en", "ar"]  # the interface languages (the one definition)
        self.BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "eventhub" / "translations")
        # Socket.IO: gevent in production (see docs/deployment.md for the measurement).
        self.SOCKETIO_ASYNC_MODE = env.get("SOCKETIO_ASYNC_MODE", "gevent")
        self.SOCKETIO_MESSAGE_QUEUE = env.get("SOCKETIO_MESSAGE_QUEUE") or None
        # Redis pub/sub ignores the database number: two deployments on one Redis need their own channel.
        self.SOCKETIO_CHANNEL = env.get("SOCKETIO_CHANNEL", "eventhub")
        # Background loops (eventhub/core/loops.py): started by each area's register(); tests drain them by hand.
        self.BACKGROUND_LOOPS = env.get("EVENTHUB_BACKGROUND_LOOPS", "1") == "1"
        self.QA_VOTE_FLUSH_INTERVAL = float(env.get("QA_VOTE_FLUSH_INTERVAL", "0.3"))  # seconds between vote counts
        self.QA_RIGHTS_SWEEP_INTERVAL = float(env.get("QA_RIGHTS_SWEEP_INTERVAL", "5"))  # moderator rights re-check
        # A GET/HEAD/OPTIONS request that writes (eventhub/core/pipeline.py): "rollback" (logged) or "raise".
        self.SAFE_METHOD_WRITES = env.get("EVENTHUB_SAFE_METHOD_WRITES", "rollback")
        self.CHECKIN_COUNTERS_DELAY = float(env.get("CHECKIN_COUNTERS_DELAY", "0.25"))  # dashboard counters
        # Mail: SMTP when MAIL_SERVER is set, otherwise the database outbox only.
        self.MAIL_SERVER = env.get("MAIL_SERVER") or None
        self.MAIL_PORT = int(env.get("MAIL_PORT", "25"))
        self.MAIL_USERNAME = env.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = env.get("MAIL_PASSWORD") or None
        self.MAIL_USE_TLS = env.get("MAIL_USE_TLS", "0") == "1"
        self.MAIL_SENDER = env.get("MAIL_SENDER", "EventHub <no-reply@eventhub.local>")
        # Delivery retries: back-off base × 4^(attempt-1), up to MAIL_MAX_ATTEMPTS; a claim older than
        # MAIL_STALE_CLAIM_SECONDS (a worker that crashed mid-send) is taken again.
        self.MAIL_MAX_ATTEMPTS = int(env.get("MAIL_MAX_ATTEMPTS", "6"))
        self.MAIL_RETRY_BASE_SECONDS = int(env.get("MAIL_RETRY_BASE_SECONDS", "60"))
        self.MAIL_STALE_CLAIM_SECONDS = int(env.get("MAIL_STALE_CLAIM_SECONDS", "300"))
        # Base of every link in mail. Never taken from the request's Host header: production requires it;
        # development without it uses the Host only when it is one of TRUSTED_HOSTS (Flask answers 400 to
        # any other), else the development server's own address (HOST and PORT of `python -m eventhub`).
        self.PUBLIC_BASE_URL = _public_base_url(env.get("PUBLIC_BASE_URL"))
        self.DEVELOPMENT_BASE_URL = f"http://{env.get('HOST', '127.0.0.1')}:{env.get('PORT', '5000')}"
        self.TRUSTED_HOSTS = _host_list(env.get("TRUSTED_HOSTS"))
        # Reverse proxies in front of the app (docs/deployment.md): how many X-Forwarded-For / -Proto hops to
        # believe. 0 (the default) trusts none: every client then shares the proxy's address and rate limits.
        self.PROXY_FIX_X_FOR = int(env.get("PROXY_FIX_X_FOR", "0"))
        self.PROXY_FIX_X_PROTO = int(env.get("PROXY_FIX_X_PROTO", "0"))
        # Failed sign-ins: per address, per account and address, and a much higher ceiling per account (so an
        # attacker guessing from a few addresses cannot lock the owner out).
        self.LOGIN_ADDRESS_LIMIT = env.get("LOGIN_ADDRESS_LIMIT", "20 per 10 minutes")
        self.LOGIN_ACCOUNT_ADDRESS_LIMIT = env.get("LOGIN_ACCOUNT_ADDRESS_LIMIT", "5 per 10 minutes")
        self.LOGIN_ACCOUNT_LIMIT = env.get("LOGIN_ACCOUNT_LIMIT", "50 per 10 minutes")
        # Web origins allowed to open a Socket.IO connection besides PUBLIC_BASE_URL's (comma-separated);
        # with neither set (development) only the request's own host.
        self.SOCKETIO_ALLOWED_ORIGINS = [o.strip() for o in env.get("SOCKETIO_ALLOWED_ORIGINS", "").split(",")
                                         if o.strip()]
        # Live connections: how often each process re-checks the credentials of its sockets (the backstop of the
        # immediate cut-off when a ticket is revoked or a role removed).
        self.LIVE_SWEEP_INTERVAL = float(env.get("LIVE_SWEEP_INTERVAL", "3"))
        # The sweep loop and the Redis revocation listener start with the first live connection; False: never
        # (tests run `eventhub.core.revocations.run_sweepers` or drain the loop themselves).
        self.LIVE_BACKGROUND = env.get("EVENTHUB_LIVE_BACKGROUND", "1") == "1"
        # Anonymous Q&A keys one network address may mint, and joins per address: a venue behind one NAT address
        # needs more (see README).
        self.QA_ANONYMOUS_KEYS_LIMIT = env.get("QA_ANONYMOUS_KEYS_LIMIT", "30/hour")
        self.QA_JOIN_ADDRESS_LIMIT = env.get("QA_JOIN_ADDRESS_LIMIT", "300/10seconds")
        self.QA_VOTE_LIMIT = env.get("QA_VOTE_LIMIT", "60/minute")  # Q&A and poll votes per participant
        self.QA_ASK_LIMIT = env.get("QA_ASK_LIMIT", "5/minute")  # questions per participant
        self.QA_JOIN_LIMIT = env.get("QA_JOIN_LIMIT", "20/10seconds")  # `join`s per connection (each a snapshot)
        # Moderators see a question flagged when its address had minted this many anonymous keys or more.
        self.QA_BUSY_ADDRESS_KEYS = int(env.get("QA_BUSY_ADDRESS_KEYS", "5"))
        # per attendee: asking for the floor, and (counted apart) handing it back
        self.FLOOR_HAND_LIMIT = env.get("FLOOR_HAND_LIMIT", "3/minute")
        # Personal links of panelists and interpreters: valid this long (seconds) unless revoked first.
        self.PANELIST_LINK_MAX_AGE = int(env.get("PANELIST_LINK_MAX_AGE", str(30 * 24 * 3600)))
        # The live dashboard coalesces changes for this long (seconds) before one snapshot.
        self.REPORT_DASHBOARD_DELAY = float(env.get("REPORT_DASHBOARD_DELAY", "0.5"))
        # Offline check-in scans: device times older than this, or before the doors open (this long before the
        # event starts), are stored clamped and flagged.
        self.CHECKIN_OFFLINE_MAX_AGE_HOURS = float(env.get("CHECKIN_OFFLINE_MAX_AGE_HOURS", "168"))
        self.CHECKIN_OPENS_BEFORE_HOURS = float(env.get("CHECKIN_OPENS_BEFORE_HOURS", "24"))
        # Rate limiting storage: Redis when scaled out, memory for the embedded default.
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI") or env.get("REDIS_URL") or "memory://"
        self.RATELIMIT_ENABLED = True
        self.RATELIMIT_HEADERS_ENABLED = True
        self.PASSWORD_RESET_MAX_AGE = 3600 * 2
        self.PASSWORD_HASH_PROFILE = "recommended"  # noqa: S105 (a profile name) argon2id, RFC 9106 low memory (eventhub.auth.passwords)
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SECURE = env.get("SESSION_COOKIE_SECURE", "0") == "1"
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.HSTS_MAX_AGE = int(env.get("HSTS_MAX_AGE", "0"))  # Strict-Transport-Security; production: a year
        self.WTF_CSRF_TIME_LIMIT = None  # a form left open on a phone all morning still submits
        # Over HTTPS Flask-WTF would also demand a same-origin Referer, which browsers never send here
        # (Referrer-Policy: no-referrer keeps ticket links from leaking): every form would fail once the proxy's
        # X-Forwarded-Proto is trusted. The CSRF token and the SameSite=Lax session cookie still protect forms.
        self.WTF_CSRF_SSL_STRICT = False
        self.COMPRESS_MIMETYPES = [
            "text/html", "text/css", "text/javascript", "application/javascript",
            "application/json", "image/svg+xml", "text/calendar", "text/csv",
        ]
        self.COMPRESS_MIN_SIZE = 500
        self.MAX_CONTENT_LENGTH = 1 * 1024 * 1024
        # The stage: how long a Janus join token lives without a heartbeat from its browser (seconds).
        self.STAGE_TOKEN_TTL = int(env.get("STAGE_TOKEN_TTL", "120"))
        # /stage socket events one participant (account, speaker link, ticket or stage key) may send: a publishing
        # page reports every 3 s and beats every ≥ 5 s; a stage manager clicks in bursts.
        self.STAGE_EVENT_LIMIT = env.get("STAGE_EVENT_LIMIT", "20/second; 120/minute")
        # Media (docs/stage.md). JANUS_SERVERS: a JSON list of {"name","url","api_secret","admin_url","admin_secret",
        # "public_url"} or comma-separated `url|api_secret|admin_url|admin_secret[|public_url]`; unset, the local
        # Janus that `make run` starts (instance/janus/servers.json, written by `flask media janus-config`).
        self.JANUS_SERVERS = env.get("JANUS_SERVERS") or _local_janus_servers(INSTANCE_DIR)
        self.JANUS_TIMEOUT = float(env.get("JANUS_TIMEOUT", "5"))  # seconds per Janus API call
        self.JANUS_HEALTH_INTERVAL = float(env.get("JANUS_HEALTH_INTERVAL", "5"))  # keepalive period, 0 = off
        self.STAGE_UPKEEP_INTERVAL = float(env.get("STAGE_UPKEEP_INTERVAL", "10"))  # stage upkeep loop, 0 = off
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
    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = self.SECRET_KEY or _persisted_secret_key(INSTANCE_DIR)


class ProductionConfig(Config):
    """Refuses to start (RuntimeError, before writing anything) without a strong SECRET_KEY and a
    PUBLIC_BASE_URL; every cookie is Secure, HttpOnly and SameSite=Lax, and HSTS is sent."""

    def __init__(self) -> None:
        super().__init__()
        if not self.SECRET_KEY:
            raise RuntimeError("SECRET_KEY must be set in production (e.g. python -c 'import secrets; "
                               "print(secrets.token_urlsafe(48))')")
        if reason := weak_secret_reason(self.SECRET_KEY):
            raise RuntimeError(f"SECRET_KEY is too weak for production: {reason}; use at least "
                               f"{MIN_SECRET_BYTES} random bytes (secrets.token_urlsafe(48))")
        if not self.PUBLIC_BASE_URL:
            raise RuntimeError("PUBLIC_BASE_URL must be set in production (e.g. https://events.example.org): "
                               "links in mail are never built from the request's Host header")
        self.SESSION_COOKIE_SECURE = True
        self.REMEMBER_COOKIE_SECURE = True
        self.PREFERRED_URL_SCHEME = "https"
        self.HSTS_MAX_AGE = int(os.environ.get("HSTS_MAX_AGE", str(365 * 24 * 3600)))


class TestingConfig(Config):
    __test__ = False  # not a pytest test class
    def __init__(self, database_url: str | None = None) -> None:
        super().__init__()
        self.TESTING = True
        self.SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
        self.SQLALCHEMY_DATABASE_URI = _normalise_db_url(database_url) if database_url else "sqlite://"
        self.SOCKETIO_ASYNC_MODE = "threading"
        # No periodic live sweep behind the tests' backs: tests run it (core.revocations.run_sweepers) when they
        # mean to; the real-server tests (tests/security_live) run the loop itself.
        self.LIVE_BACKGROUND = False
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.MAIL_SERVER = None
        self.SAFE_METHOD_WRITES = "raise"  # a GET that writes fails the test that made it
        self.BACKGROUND_LOOPS = False  # tests call eventhub.core.loops.drain_all(app): no fixed sleeps
        self.JANUS_SERVERS = ""  # media tests point the app at the Janus they start
        self.TURN_URLS, self.TURN_SECRET = "", None
        self.PASSWORD_HASH_PROFILE = "cheapest"  # noqa: S105 (a profile name) same argon2id path, far cheaper


def config_from_env() -> Config:
    name = os.environ.get("EVENTHUB_CONFIG", "development")
    return {"development": DevelopmentConfig, "production": ProductionConfig}[name]()
