"""One process of a deployment takes each period's turn at a shared job (eventhub.core.shared.claim_turn): the
live counters and the dashboard snapshot are computed once per period for every process, not once per process."""

from __future__ import annotations

import os
import time
import uuid

import pytest
from flask import Flask

from eventhub.core import shared

REDIS_URL = os.environ.get("EVENTHUB_TEST_REDIS_URL")


def _process(channel: str, queue: str | None) -> Flask:
    """What claim_turn reads of an app: its message queue and its channel."""
    app = Flask(f"process-{uuid.uuid4().hex[:6]}")
    app.config.update(SOCKETIO_MESSAGE_QUEUE=queue, SOCKETIO_CHANNEL=channel)
    return app


def test_a_process_alone_always_has_the_turn():
    alone = _process("eventhub-test", None)
    assert all(shared.claim_turn(alone, "checkin-counters:1", 10) for _ in range(3))


@pytest.mark.skipif(not REDIS_URL, reason="EVENTHUB_TEST_REDIS_URL is not set (.ci/run sets it)")
def test_two_processes_sharing_redis_take_turns_once_per_period():
    channel = f"eventhub-test-{uuid.uuid4().hex}"  # never the app's own channel
    first, second = _process(channel, REDIS_URL), _process(channel, REDIS_URL)
    assert shared.claim_turn(first, "checkin-counters:7", 0.4) is True
    assert shared.claim_turn(second, "checkin-counters:7", 0.4) is False  # the first one computes this period
    assert shared.claim_turn(second, "checkin-counters:8", 0.4) is True  # another event: its own turn
    time.sleep(0.5)
    assert shared.claim_turn(second, "checkin-counters:7", 0.4) is True  # the next period
    other = _process(f"{channel}-other", REDIS_URL)  # another deployment on the same Redis
    assert shared.claim_turn(other, "checkin-counters:7", 0.4) is True


def test_an_unreachable_redis_gives_the_turn_here():
    lost = _process("eventhub-test", "redis://127.0.0.1:9/0")  # nothing listens on the discard port
    assert shared.claim_turn(lost, "checkin-counters:1", 1) is True


@pytest.mark.skipif(not REDIS_URL, reason="EVENTHUB_TEST_REDIS_URL is not set (.ci/run sets it)")
def test_the_counters_loop_leaves_a_period_to_the_process_that_has_it_and_keeps_the_change(app, monkeypatch):
    """With a queue, the counters of an event marked here are not computed while another process has the turn;
    the mark stays, so the change is counted once the turn comes back."""
    from eventhub.core.loops import get_loop

    channel = f"eventhub-test-{uuid.uuid4().hex}"
    monkeypatch.setitem(app.config, "SOCKETIO_MESSAGE_QUEUE", REDIS_URL)
    monkeypatch.setitem(app.config, "SOCKETIO_CHANNEL", channel)
    loop = get_loop(app, "checkin.counters")
    from eventhub.checkin import live

    emitted: list[int] = []
    real = live.emit_counters  # called through: only which events it was asked for is recorded
    monkeypatch.setattr(live, "emit_counters", lambda app_, event_id: (emitted.append(event_id), real(app_, event_id)))
    other = _process(channel, REDIS_URL)
    assert shared.claim_turn(other, "checkin-counters:5", 0.5)  # the other process computes event 5 now
    loop.mark(5)
    loop.mark(6)
    loop.drain()
    assert emitted == [6]  # event 6 was this process's to do; 5 was not
    time.sleep(0.6)
    loop.drain()
    assert emitted == [6, 5]  # the mark was kept: the change reached the dashboards one period later
