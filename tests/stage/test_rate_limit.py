"""The /stage namespace's per-participant rate limit, against a real `python -m eventhub` (gevent, WebSocket) with
the real python-socketio client: a flooding identity gets `rate_limited` acks, opening another socket with the same
credential does not reset its count, and another participant is not affected."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import socketio

from tests.live_server import AppProcess, migrate_and_seed, scrubbed_env

WAIT = 10.0
LIMIT = 6  # per minute, set on the server below (the default is far higher)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[AppProcess, dict]]:
    work = Path(tempfile.mkdtemp(prefix="eventhub-stage-limit-"))
    env = scrubbed_env("JANUS_", "TURN_", "STAGE_")
    env.update(DATABASE_URL=f"sqlite:///{work / 'stage.sqlite3'}", SOCKETIO_ASYNC_MODE="gevent",
               EVENTHUB_INSTANCE_DIR=str(work), EVENTHUB_CONFIG="development", HOST="127.0.0.1",
               SECRET_KEY="stage-limit-secret-key-not-for-production", PYTHONUNBUFFERED="1",
               STAGE_EVENT_LIMIT=f"100/second; {LIMIT}/minute")
    seed = migrate_and_seed(env, "tests.media.seed_stage")
    proc = AppProcess("stage", env, work)
    try:
        proc.start(timeout=120)  # a loaded shared machine takes longer than 30 s to import the app
        yield proc, seed
    finally:
        proc.stop()


def _connect(base_url: str, auth: dict) -> socketio.Client:
    sio = socketio.Client(reconnection=False, request_timeout=WAIT)
    sio.connect(base_url, transports=["websocket"], namespaces=["/stage"], auth=auth, wait_timeout=WAIT)
    return sio


def _join(sio: socketio.Client, session_id: int, role: str | None = None) -> dict:
    payload = {"session_id": session_id, **({"role": role} if role else {})}
    return sio.call("join", payload, namespace="/stage", timeout=WAIT)


def test_a_flooding_participant_is_refused_with_rate_limited(server: tuple[AppProcess, dict]) -> None:
    proc, seed = server
    sid = seed["session_id"]
    screen = _connect(proc.base_url, {"key": seed["screen_key"]})
    again = panelist = None
    try:
        acks = [_join(screen, sid, "screen") for _ in range(LIMIT)]
        assert [a["ok"] for a in acks] == [True] * LIMIT
        assert acks[0]["data"]["role"] == "screen"
        refused = _join(screen, sid, "screen")
        assert refused["ok"] is False and refused["error"]["code"] == "rate_limited"
        # Every event counts against the same budget, a malformed one too.
        bad = screen.call("heartbeat", {"session_id": sid}, namespace="/stage", timeout=WAIT)
        assert bad["error"]["code"] == "rate_limited"
        # A new socket with the same key is the same participant: still refused.
        again = _connect(proc.base_url, {"key": seed["screen_key"]})
        assert _join(again, sid)["error"]["code"] == "rate_limited"
        # Someone else (a speaker by personal link) is not affected.
        panelist = _connect(proc.base_url, {"panelist_token": seed["panelists"][0]["token"]})
        ack = _join(panelist, sid)
        assert ack["ok"] is True and ack["data"]["role"] == "panelist"
    finally:
        for client in (screen, again, panelist):
            if client is not None:
                client.disconnect()
