"""The pool's background health check: keepalives on every server's control sessions, token sweeps."""

from __future__ import annotations

import logging

from flask import Flask

from eventhub.core.loops import BackgroundLoop
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


class HealthLoop(BackgroundLoop):
    """Background keepalives: `check_all()` every JANUS_HEALTH_INTERVAL seconds (0: off), the token sweep every
    `sweep_every` rounds, inside an app context (the signals' receivers need one). Only started when servers are
    configured; tests call `run_once()`."""

    name = "media.health"
    interval_key = "JANUS_HEALTH_INTERVAL"
    default_interval = 5.0

    def __init__(self, app: Flask, pool: JanusPool, *, sweep_every: int = 12) -> None:
        super().__init__(app)
        self.pool, self.sweep_every = pool, sweep_every
        self.rounds = 0

    @property
    def enabled(self) -> bool:
        return bool(self.pool.servers) and super().enabled

    def run_once(self) -> None:
        with self.app.app_context():
            check_servers_once(self.pool, sweep=bool(self.sweep_every) and self.rounds % self.sweep_every == 0)
        self.rounds += 1

    def drain(self) -> int:
        self.run_once()
        return 0  # keepalives are not pending work: drain_all need not repeat them
