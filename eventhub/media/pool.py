"""Several Janus servers: which one hosts a stage, their health, and the tokens they hold.

`JANUS_SERVERS` (environment) is either a JSON list of objects
    [{"name": "j1", "url": "http://10.0.0.5:8088/janus", "api_secret": "…", "admin_url": "http://10.0.0.5:7088/admin",
      "admin_secret": "…", "public_url": "https://media.example.org/janus"}]
or comma-separated entries `url|api_secret|admin_url|admin_secret[|public_url]` (name = the url's host:port).

The health check is a keepalive on the control session the app keeps on each server (the same session its room
operations use). After `failures` missed keepalives in a row the server is taken out: `pick()` skips it and
`eventhub.signals.janus_server_down` is sent (sender: the server's name, stages=[stage ids this process had on it]);
the stage area re-creates those rooms on `pick()`'s choice and tells its clients to rejoin. When it answers again
`janus_server_up` is sent (sender: name) and it takes new stages again.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from eventhub.media.channels import ChannelMedia
from eventhub.media.guard import AudioOnlyMedia
from eventhub.media.janus import (
    AUDIOBRIDGE,
    STREAMING,
    VIDEOROOM,
    VIDEOROOM_ROOM_EXISTS,
    JanusClient,
    JanusError,
    JanusServer,
    JanusUnavailable,
)
from eventhub.media.rooms import AudioBridgeAdmin, PluginHandle, StreamingAdmin, VideoRoomAdmin
from eventhub.media.tokens import is_expired
from eventhub.media.turn import ice_servers

log = logging.getLogger(__name__)

TOKEN_PLUGINS = [VIDEOROOM, AUDIOBRIDGE]


MediaUnavailable = JanusUnavailable  # the name the stage area catches: a server could not be reached


class NoJanusServer(JanusUnavailable):
    """No configured server is up."""

    def __init__(self) -> None:
        super().__init__("no Janus server available")


def parse_servers(value: str | Iterable[Any] | None) -> list[JanusServer]:
    """JANUS_SERVERS as a string (JSON list or pipe entries), or already a list of dicts / JanusServer."""
    if not value:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return parse_servers(json.loads(text))
        items: list[Any] = []
        for entry in (e.strip() for e in text.split(",")):
            if not entry:
                continue
            parts = entry.split("|")
            if len(parts) < 4 or len(parts) > 5:
                raise ValueError("JANUS_SERVERS entries are url|api_secret|admin_url|admin_secret[|public_url]")
            items.append(dict(zip(("url", "api_secret", "admin_url", "admin_secret", "public_url"), parts,
                                  strict=False)))
        return parse_servers(items)
    servers: list[JanusServer] = []
    for item in value:
        if isinstance(item, JanusServer):
            servers.append(item)
            continue
        if not isinstance(item, dict):
            raise ValueError("JANUS_SERVERS: each server is an object")
        url = str(item["url"])
        servers.append(JanusServer(
            name=str(item.get("name") or urlsplit(url).netloc), url=url,
            api_secret=str(item.get("api_secret", "")), admin_url=str(item.get("admin_url", "")),
            admin_secret=str(item.get("admin_secret", "")), public_url=str(item.get("public_url", "")),
        ))
    if len({s.name for s in servers}) != len(servers):
        raise ValueError("JANUS_SERVERS: two servers share a name")
    return servers


class _Member:
    def __init__(self, server: JanusServer, timeout: float) -> None:
        self.server = server
        self.client = JanusClient(server, timeout=timeout)
        self.videoroom_handle = PluginHandle(self.client, VIDEOROOM)
        self.audiobridge_handle = PluginHandle(self.client, AUDIOBRIDGE)
        # Not kept alive by the health check (a server without the Streaming plugin is still up for the stage):
        # a call after its session timed out is retried once on a fresh one (PluginHandle.request).
        self.streaming_handle = PluginHandle(self.client, STREAMING)
        self.up = True
        self.failures = 0
        self.stages: set[int] = set()


class JanusPool:
    def __init__(self, servers: Iterable[JanusServer], *, timeout: float = 5.0, failures: int = 2,
                 on_down: Callable[[str, list[int]], None] | None = None,
                 on_up: Callable[[str], None] | None = None) -> None:
        self._members = {s.name: _Member(s, timeout) for s in servers}
        self.failures = failures
        self.on_down, self.on_up = on_down, on_up
        self._lock = threading.RLock()

    # --- servers --------------------------------------------------------------------------------------------
    @property
    def servers(self) -> list[JanusServer]:
        return [m.server for m in self._members.values()]

    def healthy(self) -> list[JanusServer]:
        return [m.server for m in self._members.values() if m.up]

    @property
    def available(self) -> bool:
        return any(m.up for m in self._members.values())

    def get(self, name: str) -> JanusServer:
        return self._member(name).server

    def is_up(self, name: str) -> bool:
        return name in self._members and self._members[name].up

    def _member(self, name: str) -> _Member:
        try:
            return self._members[name]
        except KeyError:
            raise JanusError(404, "unknown Janus server") from None

    def client(self, name: str) -> JanusClient:
        return self._member(name).client

    def videoroom(self, name: str) -> VideoRoomAdmin:
        return VideoRoomAdmin(self._member(name).videoroom_handle)

    def audiobridge(self, name: str) -> AudioBridgeAdmin:
        return AudioBridgeAdmin(self._member(name).audiobridge_handle)

    def streaming(self, name: str) -> StreamingAdmin:
        return StreamingAdmin(self._member(name).streaming_handle)

    # --- placement ------------------------------------------------------------------------------------------
    def pick(self, *, load: Mapping[str, int] | None = None, exclude: Iterable[str] = ()) -> JanusServer:
        """The least loaded server that is up. `load` (server name → stages hosted, e.g. counted in the
        database by the stage area) overrides this process's own count; ties go to the configured order."""
        excluded = set(exclude)
        with self._lock:
            candidates = [m for m in self._members.values() if m.up and m.server.name not in excluded]
            if not candidates:
                raise NoJanusServer()
            counts = {m.server.name: (load.get(m.server.name, 0) if load is not None else len(m.stages))
                      for m in candidates}
            return min(candidates, key=lambda m: counts[m.server.name]).server

    def assign(self, stage_id: int, name: str | None = None, *, load: Mapping[str, int] | None = None) -> JanusServer:
        """Record that `stage_id` lives on server `name` (or on `pick()`'s choice); returns the server."""
        with self._lock:
            server = self.get(name) if name else self.pick(load=load)
            for m in self._members.values():
                m.stages.discard(stage_id)
            self._members[server.name].stages.add(stage_id)
            return server

    def release(self, stage_id: int) -> None:
        with self._lock:
            for m in self._members.values():
                m.stages.discard(stage_id)

    def server_of(self, stage_id: int) -> JanusServer | None:
        with self._lock:
            for m in self._members.values():
                if stage_id in m.stages:
                    return m.server
        return None

    def stages_on(self, name: str) -> list[int]:
        with self._lock:
            return sorted(self._member(name).stages)

    # --- health ---------------------------------------------------------------------------------------------
    def check(self, name: str) -> bool:
        """One keepalive on the server's control sessions. Returns whether it is up after this check; sends
        the down/up transition (callbacks and signals are fired by the caller's `on_down`/`on_up`)."""
        m = self._member(name)
        try:
            m.videoroom_handle.keepalive()
            m.audiobridge_handle.keepalive()
        except JanusError as exc:
            with self._lock:
                m.failures += 1
                going_down = m.up and m.failures >= self.failures
                if going_down:
                    m.up = False
                    moved = sorted(m.stages)
                    m.stages.clear()
            log.warning("Janus %s missed a keepalive (%d): %s", name, m.failures, exc.reason)
            if going_down:
                m.videoroom_handle.reset()
                m.audiobridge_handle.reset()
                m.streaming_handle.reset()
                log.error("Janus %s taken out; stages to re-home: %s", name, moved)
                if self.on_down:
                    self.on_down(name, moved)
            return m.up
        with self._lock:
            coming_up = not m.up
            m.up, m.failures = True, 0
        if coming_up:
            log.warning("Janus %s answers again", name)
            if self.on_up:
                self.on_up(name)
        return True

    def check_all(self) -> dict[str, bool]:
        return {name: self.check(name) for name in list(self._members)}

    # --- tokens ---------------------------------------------------------------------------------------------
    def grant(self, name: str, room: int, token: str, *, secret: str, plugins: list[str] | None = None,
              audiobridge: bool = False) -> None:
        """Let `token` into `room` on server `name`: a core stored token (only the stage plugins) plus the room's
        ACL (the VideoRoom's, and the AudioBridge's when `audiobridge`)."""
        client = self.client(name)
        client.add_token(token, plugins or TOKEN_PLUGINS)
        self.videoroom(name).allow(room, secret=secret, tokens=[token])
        if audiobridge:
            self.audiobridge(name).allow(room, secret=secret, tokens=[token])

    def revoke(self, name: str, room: int | None, token: str, *, secret: str = "") -> None:
        """Refuse `token` from now on: out of the room's ACL and out of Janus's stored tokens (its session's next
        request, keepalives included, is refused). Kick the participant too to cut their media at once."""
        if room is not None and secret:
            try:
                self.videoroom(name).disallow(room, secret=secret, tokens=[token])
            except JanusError as exc:
                if exc.code == 0:
                    raise
        self.client(name).remove_token(token)

    def sweep_tokens(self, now: float | None = None) -> int:
        """Remove our expired tokens from every server that is up; returns how many were removed."""
        removed = 0
        for m in list(self._members.values()):
            if not m.up or not m.server.admin_url:
                continue
            try:
                for entry in m.client.list_tokens():
                    token = str(entry.get("token", ""))
                    if is_expired(token, now):
                        m.client.remove_token(token)
                        removed += 1
            except JanusError as exc:
                log.warning("token sweep on %s failed: %s", m.server.name, exc.reason)
        return removed

    def close(self) -> None:
        for m in self._members.values():
            m.videoroom_handle.close()
            m.audiobridge_handle.close()
            m.streaming_handle.close()
            m.client.close()


class MediaPool(ChannelMedia, AudioOnlyMedia):
    """What the stage area calls (app.extensions["eventhub_media"]; None when no Janus is configured).

    Every method may raise `MediaUnavailable` (server unreachable) or `JanusError` (Janus refused; `.code`).
    """

    def __init__(self, pool: JanusPool, *, turn_urls: list[str], turn_secret: str | None, turn_ttl: int,
                 stun_urls: list[str] | None = None, token_plugins: list[str] | None = None,
                 keepalive_ms: int = 5000) -> None:
        self.pool = pool
        self.turn_urls, self.turn_secret, self.turn_ttl = turn_urls, turn_secret, turn_ttl
        self.stun_urls = stun_urls or []
        self.token_plugins = token_plugins or [VIDEOROOM]
        self.keepalive_ms = keepalive_ms

    def place_room(self, *, room_id: int, publishers: int, secret: str, description: str,
                   allowed: list[str], load: Mapping[str, int] | None = None,
                   exclude: Iterable[str] = ()) -> str:
        """Create the VideoRoom on the least loaded healthy server; returns the server's name. A room of that id
        left over on that server (an app restart) is destroyed and re-created with the new secret and ACL."""
        server = self.pool.pick(load=load, exclude=exclude)
        rooms = self.pool.videoroom(server.name)
        try:
            rooms.create(room_id, secret=secret, publishers=publishers, allowed=allowed, description=description)
        except JanusError as exc:
            if exc.code != VIDEOROOM_ROOM_EXISTS:
                raise
            rooms.destroy(room_id, secret=secret)  # only works with the same secret; else Janus refuses (433)
            rooms.create(room_id, secret=secret, publishers=publishers, allowed=allowed, description=description)
        self.pool.assign(room_id, server.name)
        return server.name

    def destroy_room(self, server: str, room_id: int, secret: str) -> None:
        self.pool.videoroom(server).destroy(room_id, secret=secret)
        self.pool.release(room_id)

    def room_exists(self, server: str, room_id: int) -> bool:
        return self.pool.videoroom(server).exists(room_id)

    def allow(self, server: str, room_id: int, secret: str, tokens: list[str], *, add: bool) -> None:
        rooms = self.pool.videoroom(server)
        (rooms.allow if add else rooms.disallow)(room_id, secret=secret, tokens=tokens)

    def add_token(self, server: str, token: str) -> None:
        self.pool.client(server).add_token(token, self.token_plugins)

    def remove_token(self, server: str, token: str) -> None:
        self.pool.client(server).remove_token(token)

    def kick(self, server: str, room_id: int, secret: str, feed_id: int) -> None:
        self.pool.videoroom(server).kick(room_id, secret=secret, participant_id=feed_id)

    def moderate(self, server: str, room_id: int, secret: str, feed_id: int, *, mute: bool,
                 kind: str = "audio") -> None:
        self.pool.videoroom(server).mute(room_id, secret=secret, participant_id=feed_id, kind=kind, mute=mute)

    def list_publisher_ids(self, server: str, room_id: int) -> list[int]:
        return [int(p["id"]) for p in self.pool.videoroom(server).participants(room_id) if p.get("publisher")]

    def list_participants(self, server: str, room_id: int) -> list[dict[str, Any]]:
        return self.pool.videoroom(server).participants(room_id)

    def is_healthy(self, server: str) -> bool:
        return self.pool.is_up(server)

    @property
    def available(self) -> bool:
        return self.pool.available

    def public_urls(self) -> list[str]:
        """Every server's public API url (for the stage pages' CSP connect-src)."""
        return [s.browser_url for s in self.pool.servers]

    def browser_config(self, server: str, *, user: str) -> dict[str, Any]:
        """{"janus_urls": [public API url], "ice_servers": [TURN with REST credentials labelled `user`],
        "keepalive_ms": …}. `user` is an opaque label (coturn logs it): no names or e-mails. Pass keepalive_ms as
        janus.js's `keepAlivePeriod`: Janus's long polls do not count as activity, and our session_timeout (15 s) is
        shorter than janus.js's default keepalive (25 s), so without it every browser session dies after 15 s."""
        return {"janus_urls": [self.pool.get(server).browser_url], "keepalive_ms": self.keepalive_ms,
                "ice_servers": ice_servers(self.turn_urls, self.turn_secret, user, ttl=self.turn_ttl,
                                           stun_urls=self.stun_urls)}
