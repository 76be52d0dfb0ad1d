"""Wiring the media layer into the app: the Janus pool and its health loop, browser-side media settings, CSP."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app

from eventhub.core.loops import register_loop
from eventhub.media import cli as media_cli
from eventhub.media.health import HealthLoop
from eventhub.media.janus import JanusServer
from eventhub.media.pool import JanusPool, MediaPool, parse_servers
from eventhub.media.turn import ice_servers, parse_urls
from eventhub.signals import janus_server_down, janus_server_up

log = logging.getLogger(__name__)
POOL_KEY, HEALTH_KEY, MEDIA_KEY = "janus_pool", "janus_health", "eventhub_media"


def register(app: Flask) -> None:
    """Build the pool from JANUS_SERVERS and start its health loop (not under TESTING unless
    JANUS_HEALTH_AUTOSTART is true; tests start/stop it themselves)."""
    servers = parse_servers(app.config.get("JANUS_SERVERS"))

    def on_down(name: str, stages: list[int]) -> None:
        janus_server_down.send(name, stages=stages)

    def on_up(name: str) -> None:
        janus_server_up.send(name)

    pool = JanusPool(servers, timeout=float(app.config["JANUS_TIMEOUT"]),
                     failures=int(app.config["JANUS_HEALTH_FAILURES"]), on_down=on_down, on_up=on_up)
    app.extensions[POOL_KEY] = pool
    media_cli.register(app)
    app.extensions[MEDIA_KEY] = MediaPool(
        pool, turn_urls=parse_urls(app.config.get("TURN_URLS")), turn_secret=app.config.get("TURN_SECRET"),
        turn_ttl=int(app.config["TURN_TTL"]), stun_urls=parse_urls(app.config.get("STUN_URLS")),
        keepalive_ms=max(1000, int(app.config["JANUS_SESSION_TIMEOUT"]) * 1000 // 3),
    ) if servers else None

    # Started by register_loop when loops run (not in tests), servers are configured and the interval is not 0.
    app.extensions[HEALTH_KEY] = register_loop(app, HealthLoop(app, pool))


def current_pool() -> JanusPool:
    return current_app.extensions[POOL_KEY]


def health_loop(app: Flask | None = None) -> HealthLoop:
    return (app or current_app).extensions[HEALTH_KEY]


def media_available() -> bool:
    """False when no Janus server is configured or none answers: the stage pages say the stage is unavailable."""
    return current_pool().available


def browser_media(server: JanusServer, token: str, *, turn_name: str) -> dict[str, Any]:
    """What a stage page needs to reach Janus (put it in a data- attribute as JSON): the public API url, the
    person's token, the ICE servers with fresh TURN credentials. Never a Janus api/admin secret."""
    cfg = current_app.config
    return {
        "janus_url": server.browser_url,
        "token": token,
        "ice_servers": ice_servers(parse_urls(cfg.get("TURN_URLS")), cfg.get("TURN_SECRET"), turn_name,
                                   ttl=int(cfg.get("TURN_TTL", 6 * 3600)), stun_urls=parse_urls(cfg.get("STUN_URLS"))),
        "ice_transport_policy": cfg.get("MEDIA_ICE_TRANSPORT_POLICY", "all"),
    }


def media_connect_sources(servers: list[JanusServer] | None = None) -> list[str]:
    """Origins of the Janus public APIs, for a CSP connect-src."""
    origins: list[str] = []
    for s in servers if servers is not None else current_pool().servers:
        parts = urlsplit(s.browser_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in origins:
            origins.append(origin)
    return origins


def media_csp(base_csp: str) -> str:
    """`base_csp` (core.templating.CSP) with the Janus origins added to connect-src. Stage routes set it as the
    response's Content-Security-Policy (the after_request hook only sets the default when none is there)."""
    extra = " ".join(media_connect_sources())
    if not extra:
        return base_csp
    return base_csp.replace("connect-src 'self'", f"connect-src 'self' {extra}", 1)
