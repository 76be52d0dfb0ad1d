"""Background loops: one object per loop, started by its area's `register(app)`, stoppable, drainable in tests.

A loop wakes every `interval` seconds and calls `drain()`, which does the pending work synchronously and returns
how much it did. Tests (Config `BACKGROUND_LOOPS = False`) never start the task and call `drain()` themselves,
so no test waits a fixed time for a background task. A failing drain is logged and the loop goes on.
"""

from __future__ import annotations

import logging
import threading
from typing import ClassVar

from flask import Flask

from eventhub.extensions import socketio

log = logging.getLogger(__name__)


class BackgroundLoop:
    """Subclasses set `name` and `interval_key` (a Config key) and implement `drain()`."""

    name: ClassVar[str] = "loop"
    interval_key: ClassVar[str] = ""
    default_interval: ClassVar[float] = 1.0

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._running = False
        self._generation = 0  # a stop() then start() leaves the old task to end by itself

    @property
    def interval(self) -> float:
        return float(self.app.config.get(self.interval_key, self.default_interval))

    @property
    def running(self) -> bool:
        return self._running

    @property
    def enabled(self) -> bool:
        """Whether `register_loop` may start it: an interval of 0 turns a loop off."""
        return self.interval > 0

    def start(self) -> None:
        with self._lock:
            if self._running:
                return
            self._running = True
            self._generation += 1
            generation = self._generation
        socketio.start_background_task(self._run, generation)

    def stop(self) -> None:
        with self._lock:
            self._running = False

    def drain(self) -> int:
        raise NotImplementedError

    def clear(self) -> None:
        """Forget pending work without doing it (tests, between two tests)."""

    def _alive(self, generation: int) -> bool:
        return self._running and self._generation == generation

    def _run(self, generation: int) -> None:
        while self._alive(generation):
            socketio.sleep(self.interval)
            if not self._alive(generation):
                break
            try:
                self.drain()
            except Exception:  # never let the loop die: the next tick tries again
                log.exception("background loop %s failed", self.name)


def register_loop(app: Flask, loop: BackgroundLoop) -> BackgroundLoop:
    """Keep the loop on the app (`app.extensions["eventhub.loops"][name]`) and start it unless the config says no."""
    app.extensions.setdefault("eventhub.loops", {})[loop.name] = loop
    if app.config["BACKGROUND_LOOPS"] and loop.enabled:
        loop.start()
    return loop


def get_loop(app: Flask, name: str) -> BackgroundLoop:
    return app.extensions["eventhub.loops"][name]


def drain_all(app: Flask) -> int:
    """Run every loop's pending work now (tests): repeated until nothing is left, so chained work is done too."""
    total = 0
    for _ in range(10):
        done = sum(loop.drain() for loop in app.extensions.get("eventhub.loops", {}).values())
        total += done
        if not done:
            break
    return total


def clear_all(app: Flask) -> None:
    for loop in app.extensions.get("eventhub.loops", {}).values():
        loop.clear()
