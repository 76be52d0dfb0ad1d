"""Credentials that died, cut off on every live connection of every process.

A revoked ticket, a cancelled registration: the registration area sends its signal; the Q&A (and any other area
holding live connections on that credential) connects a receiver that calls `announce_after_commit`. Once the
transaction commits, every handler registered with `on_revoked` runs in this process at once, and — when the
Socket.IO message queue is Redis — the announcement is published on a channel every process listens to, so the
process that holds the socket cuts it off within milliseconds, not at its next sweep. The sweeps (`sweepers`, run
every LIVE_SWEEP_INTERVAL seconds by one `SweepLoop` per process) remain the backstop: a change made
outside the app, a lost pub/sub message, a process that was restarting.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable

import redis
from flask import Flask, current_app

from eventhub.core import shared
from eventhub.core.db import on_commit
from eventhub.core.loops import BackgroundLoop
from eventhub.extensions import db, socketio

log = logging.getLogger(__name__)

Handler = Callable[[str, int], None]  # (kind, id): kind is "ticket" or "registration"
handlers: list[Handler] = []
sweepers: list[Callable[[], None]] = []
PROCESS = uuid.uuid4().hex
_lock = threading.Lock()
_started: set[int] = set()


def on_revoked(handler: Handler) -> None:
    if handler not in handlers:
        handlers.append(handler)


def add_sweeper(sweeper: Callable[[], None]) -> None:
    if sweeper not in sweepers:
        sweepers.append(sweeper)


def _channel(app: Flask) -> str:
    return f"{app.config.get('SOCKETIO_CHANNEL', 'eventhub')}:revoked"


def _redis_url(app: Flask) -> str | None:
    return shared.redis_url(app)


def announce_after_commit(kind: str, ident: int) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    on_commit(lambda: announce(app, kind, ident))


def announce(app: Flask, kind: str, ident: int) -> None:
    dispatch(kind, ident)
    client = shared.client(app)
    if client is None:
        return
    try:
        client.publish(_channel(app), json.dumps({"kind": kind, "id": ident, "from": PROCESS}))
    except redis.RedisError:
        log.warning("could not announce revoked %s %s to the other processes (their sweep will)", kind, ident)


def dispatch(kind: str, ident: int) -> None:
    for handler in list(handlers):
        try:
            handler(kind, ident)
        except Exception:  # one area's failure must not keep the others' connections open
            log.exception("cutting off live connections of %s %s", kind, ident)


class SweepLoop(BackgroundLoop):
    """Every LIVE_SWEEP_INTERVAL seconds, each area's sweep of its live connections (`add_sweeper`). Registered
    by the app factory, started with the first live connection (`ensure_running`); tests drain it."""

    name = "live.sweep"
    interval_key = "LIVE_SWEEP_INTERVAL"
    default_interval = 3.0

    def drain(self) -> int:
        run_sweepers(self.app)
        return 0  # a sweep is a check, not pending work: drain_all need not repeat it


def register(app: Flask) -> SweepLoop:
    """Called by create_app. Not started here: a process without live connections needs no sweep."""
    loop = SweepLoop(app)
    app.extensions.setdefault("eventhub.loops", {})[loop.name] = loop
    return loop


def ensure_running(app: Flask) -> None:
    """Start this process's sweep loop and Redis listener (once); called when a live connection opens."""
    key = id(app)
    if key in _started or not app.config["LIVE_BACKGROUND"]:
        return
    with _lock:
        if key in _started:
            return
        _started.add(key)
    loop = app.extensions.get("eventhub.loops", {}).get(SweepLoop.name) or register(app)
    if loop.enabled:
        loop.start()
    if _redis_url(app) is not None:
        socketio.start_background_task(_listen, app)


def run_sweepers(app: Flask) -> None:
    with app.app_context():
        try:
            for sweep in list(sweepers):
                try:
                    sweep()
                except Exception:
                    log.exception("live connection sweep failed")
                    db.session.rollback()
        finally:
            db.session.remove()


def _listen(app: Flask) -> None:
    url = _redis_url(app)
    if url is None:
        return
    while True:
        try:
            pubsub = redis.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(_channel(app))
            for message in pubsub.listen():
                try:
                    data = json.loads(message["data"])
                    if data.get("from") != PROCESS:
                        with app.app_context():
                            dispatch(str(data["kind"]), int(data["id"]))
                except (ValueError, KeyError, TypeError):
                    log.warning("ignored a malformed revocation message")
        except redis.RedisError:
            log.warning("revocation listener lost Redis; retrying (the sweeps go on)")
            socketio.sleep(1)
