"""The pool's background health check: keepalives on every server's control sessions, token sweeps."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from eventhub.media.pool import JanusPool

log = logging.getLogger(__name__)


def check_servers_once(pool: JanusPool, *, sweep: bool = False) -> dict[str, bool]:
    """One round of the health check: a keepalive on every server (taking out those that stopped answering and
    sending janus_server_down/up through the pool's callbacks), then, when `sweep`, the expired-token sweep.
    Returns {server name: up}. The loop below is only the threading shell around this."""
    results = pool.check_all()
    if sweep:
        pool.sweep_tokens()
    return results


class HealthLoop:
    """Background keepalives: `check_all()` every `interval` seconds, token sweep every `sweep_every` rounds.
    A plain thread (a greenlet once gevent has patched threading). `run_once()` lets tests drive it."""

    def __init__(self, pool: JanusPool, interval: float = 5.0, *, sweep_every: int = 12,
                 wrap: Callable[[Callable[[], None]], None] | None = None) -> None:
        self.pool, self.interval, self.sweep_every = pool, interval, sweep_every
        self.wrap = wrap or (lambda fn: fn())  # e.g. run inside an app context
        self.rounds = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> None:
        def body() -> None:
            check_servers_once(self.pool, sweep=bool(self.sweep_every) and self.rounds % self.sweep_every == 0)

        self.wrap(body)
        self.rounds += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.run_once()
            except Exception:  # a receiver's bug must not kill the health check
                log.exception("Janus health loop round failed")
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="janus-health", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
