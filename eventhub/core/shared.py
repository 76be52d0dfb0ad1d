"""What the app's processes share through the Socket.IO message queue's Redis, when there is one.

`client(app)` is the one Redis client per URL and process; `claim_turn(app, name, seconds)` lets one process of
the deployment do a periodic job for that period (SET NX PX): the live counters and the dashboard snapshot of an
event are computed once per period for everyone, since their broadcast reaches every process's clients through
the queue (before, each process computed the same aggregates: two processes, twice the queries during a door
rush). Without a queue the process is alone and always has the turn; a Redis error gives it the turn too (doing
the job twice beats not doing it).
"""

from __future__ import annotations

import logging

import redis
from flask import Flask

from eventhub.extensions import socketio

log = logging.getLogger(__name__)
_clients: dict[str, redis.Redis] = {}


def redis_url(app: Flask) -> str | None:
    url = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    return url if isinstance(url, str) and url.startswith(("redis://", "rediss://", "unix://")) else None


def client(app: Flask) -> redis.Redis | None:
    url = redis_url(app)
    if url is None:
        return None
    return _clients.get(url) or _clients.setdefault(url, redis.Redis.from_url(url, socket_timeout=5))


def claim_turn(app: Flask, name: str, seconds: float) -> bool:
    """True when this process should do job `name` now: no other process claimed it in the last `seconds`."""
    shared = client(app)
    if shared is None:
        return True
    key = f"{app.config.get('SOCKETIO_CHANNEL', 'eventhub')}:turn:{name}"
    try:
        return bool(shared.set(key, "1", nx=True, px=max(1, int(seconds * 1000))))
    except redis.RedisError:
        log.warning("could not claim %s in Redis: doing it here", name)
        return True


def has_audience(app: Flask, namespace: str, room: str) -> bool:
    """Whether anybody can receive what is sent to `room`. Without a message queue every listener is on this
    process, so an empty room means nobody (a periodic aggregate for it can be skipped: whoever joins later gets a
    fresh snapshot); with a queue — any queue — the listeners may be on another process."""
    if app.config.get("SOCKETIO_MESSAGE_QUEUE"):
        return True
    server = getattr(socketio, "server", None)
    return server is None or bool(server.manager.rooms.get(namespace, {}).get(room))
