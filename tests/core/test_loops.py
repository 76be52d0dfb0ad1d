"""Background loops: registered per app, started and stopped, drained synchronously; a failing tick is logged."""

from __future__ import annotations

import logging
import threading
import time

from eventhub.checkin.live import CountersLoop
from eventhub.core.loops import BackgroundLoop, get_loop
from eventhub.qa.coalesce import RightsSweep, VoteFlush


class Ticker(BackgroundLoop):
    name = "test.ticker"
    interval_key = "TEST_TICKER_INTERVAL"
    default_interval = 0.01

    def __init__(self, app, fail_first: bool = False) -> None:  # noqa: ANN001
        super().__init__(app)
        self.ticks = 0
        self.fail_first = fail_first
        self.ticked = threading.Event()

    def drain(self) -> int:
        self.ticks += 1
        if self.fail_first and self.ticks == 1:
            raise RuntimeError("first tick fails")
        self.ticked.set()
        return 1


def test_the_app_factory_registers_every_loop_and_tests_do_not_start_them(app):
    loops = app.extensions["eventhub.loops"]
    assert isinstance(get_loop(app, "qa.votes"), VoteFlush)
    assert isinstance(get_loop(app, "qa.rights"), RightsSweep)
    assert isinstance(get_loop(app, "checkin.counters"), CountersLoop)
    assert app.config["BACKGROUND_LOOPS"] is False and not any(loop.running for loop in loops.values())
    assert get_loop(app, "qa.rights").interval == app.config["QA_RIGHTS_SWEEP_INTERVAL"] == 5.0
    assert get_loop(app, "qa.votes").interval == app.config["QA_VOTE_FLUSH_INTERVAL"] == 0.3
    assert get_loop(app, "checkin.counters").interval == app.config["CHECKIN_COUNTERS_DELAY"] == 0.25


def test_a_started_loop_ticks_survives_a_failing_tick_and_stops(app, caplog):
    loop = Ticker(app, fail_first=True)
    loop.start()
    try:
        assert loop.ticked.wait(timeout=10), "the loop never ticked"
    finally:
        loop.stop()
    assert loop.ticks >= 2
    assert any(r.levelno == logging.ERROR and "test.ticker" in r.getMessage() for r in caplog.records)
    stopped_at = loop.ticks
    deadline = time.monotonic() + 0.2  # a few intervals: a stopped loop does not tick again
    while time.monotonic() < deadline:
        time.sleep(0.02)
    assert loop.ticks <= stopped_at + 1 and not loop.running


def test_the_interval_comes_from_config(app, monkeypatch):
    monkeypatch.setitem(app.config, "TEST_TICKER_INTERVAL", 2.5)
    assert Ticker(app).interval == 2.5
