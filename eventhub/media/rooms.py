"""VideoRoom and AudioBridge room operations, on a control handle the app keeps on each Janus server.

`PluginHandle` owns one Janus session and one handle attached to a plugin; it re-creates them when Janus says the
session or handle is gone (Janus restarted, or the session timed out), once per call. The pool's health loop sends
the session's keepalives (that is the server's health check), so the control session never times out while the
server answers.

Room ids are integers chosen by the caller (the stage's id, offset; see `stage_room_id`). Room secrets are chosen
by the app and never sent to a browser; participants join with the per-person token in the room's `allowed` list.
"""

from __future__ import annotations

import threading
from typing import Any

from eventhub.media.janus import (
    AUDIOBRIDGE,
    AUDIOBRIDGE_NO_SUCH_ROOM,
    ERR_HANDLE_NOT_FOUND,
    ERR_SESSION_NOT_FOUND,
    STREAMING,
    STREAMING_NO_SUCH_MOUNTPOINT,
    VIDEOROOM,
    VIDEOROOM_NO_SUCH_FEED,
    VIDEOROOM_NO_SUCH_ROOM,
    JanusClient,
    JanusError,
)

ROOM_ID_BASE = 1_000_000  # keep clear of the demo rooms (1234…) in a stock config


def stage_room_id(stage_id: int) -> int:
    """The Janus room number of a stage (VideoRoom and AudioBridge alike)."""
    return ROOM_ID_BASE + int(stage_id)


class PluginHandle:
    """A Janus session plus one handle on `plugin`, re-created on demand."""

    def __init__(self, client: JanusClient, plugin: str) -> None:
        self.client, self.plugin = client, plugin
        self.session_id: int | None = None
        self.handle_id: int | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> tuple[int, int]:
        with self._lock:
            if self.session_id is None or self.handle_id is None:
                session_id = self.client.create_session()
                self.handle_id = self.client.attach(session_id, self.plugin)
                self.session_id = session_id
            return self.session_id, self.handle_id

    def reset(self) -> None:
        with self._lock:
            self.session_id = self.handle_id = None

    def request(self, body: dict[str, Any]) -> dict[str, Any]:
        """A synchronous plugin request; retried once on a fresh session when the old one is gone."""
        for attempt in (1, 2):
            session_id, handle_id = self._ensure()
            try:
                return self.client.message(session_id, handle_id, body)
            except JanusError as exc:
                if exc.code in (ERR_SESSION_NOT_FOUND, ERR_HANDLE_NOT_FOUND) and attempt == 1:
                    self.reset()
                    continue
                raise
        raise AssertionError("unreachable")

    def keepalive(self) -> None:
        """Keep the control session alive (creating it if needed). Raises JanusUnavailable when down."""
        session_id, _ = self._ensure()
        try:
            self.client.keepalive(session_id)
        except JanusError as exc:
            if exc.code != ERR_SESSION_NOT_FOUND:
                raise
            self.reset()
            self._ensure()

    def close(self) -> None:
        with self._lock:
            session_id, self.session_id, self.handle_id = self.session_id, None, None
        if session_id is not None:
            try:
                self.client.destroy_session(session_id)
            except JanusError:
                pass


class _RoomsAdmin:
    """What VideoRoom and AudioBridge rooms share: the create body's common part, destroy, exists, the token ACL
    and the participants list. `no_such_room` is the plugin's error code for an unknown room."""

    no_such_room: int

    def __init__(self, handle: PluginHandle) -> None:
        self.handle = handle

    def _create(self, body: dict[str, Any], *, allowed: list[str] | None,
                extra: dict[str, Any] | None) -> dict[str, Any]:
        body = {"request": "create", "permanent": False, "is_private": True, **body}
        if allowed is not None:
            body["allowed"] = list(allowed)
        if self.handle.client.server.api_secret:  # our generated configs set the plugins' admin_key to it
            body["admin_key"] = self.handle.client.server.api_secret
        body.update(extra or {})
        return self.handle.request(body)

    def destroy(self, room: int, *, secret: str) -> bool:
        """Destroy the room (everyone in it is told and dropped). False when it did not exist."""
        try:
            self.handle.request({"request": "destroy", "room": int(room), "secret": secret, "permanent": False})
        except JanusError as exc:
            if exc.code == self.no_such_room:
                return False
            raise
        return True

    def exists(self, room: int) -> bool:
        return bool(self.handle.request({"request": "exists", "room": int(room)}).get("exists"))

    def allow(self, room: int, *, secret: str, tokens: list[str]) -> None:
        """Add tokens to the room's ACL."""
        self.handle.request({"request": "allowed", "room": int(room), "secret": secret, "action": "add",
                             "allowed": list(tokens)})

    def disallow(self, room: int, *, secret: str, tokens: list[str]) -> None:
        self.handle.request({"request": "allowed", "room": int(room), "secret": secret, "action": "remove",
                             "allowed": list(tokens)})

    def participants(self, room: int) -> list[dict[str, Any]]:
        """[{"id", "display", "publisher", "talking"…}, …]"""
        return list(self.handle.request({"request": "listparticipants", "room": int(room)}).get("participants", []))


class VideoRoomAdmin(_RoomsAdmin):
    """Server-side VideoRoom operations (all synchronous requests)."""

    no_such_room = VIDEOROOM_NO_SUCH_ROOM

    def create(self, room: int, *, secret: str, publishers: int = 6, allowed: list[str] | None = None,
               description: str = "", bitrate: int = 0, audiolevel_event: bool = True,
               audio_active_packets: int = 50, audio_level_average: int = 40, videocodec: str = "vp8",
               audiocodec: str = "opus", fir_freq: int = 5, notify_joining: bool = True,
               extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """A temporary room (`permanent: false`), private (not listed), with the token ACL when `allowed` is
        given (an empty list means nobody may join until tokens are added). VP8 so browsers can simulcast;
        `fir_freq` keeps keyframes coming for late subscribers and layer switches; audio levels are reported as
        `talking` / `stopped-talking` events to the room's participants."""
        body: dict[str, Any] = {
            "room": int(room), "description": description[:120] or f"stage {room}", "secret": secret,
            "publishers": int(publishers),
            "bitrate": int(bitrate), "fir_freq": int(fir_freq), "videocodec": videocodec, "audiocodec": audiocodec,
            "audiolevel_event": audiolevel_event, "audio_active_packets": int(audio_active_packets),
            "audio_level_average": int(audio_level_average), "notify_joining": notify_joining,
        }
        return self._create(body, allowed=allowed, extra=extra)

    def allowed(self, room: int, *, secret: str) -> list[str]:
        """The room's ACL as Janus holds it (a no-op `add` returns the whole list)."""
        data = self.handle.request({"request": "allowed", "room": int(room), "secret": secret, "action": "add",
                                    "allowed": []})
        return [str(t) for t in data.get("allowed", [])]

    def kick(self, room: int, *, secret: str, participant_id: int) -> bool:
        """Drop a participant (publisher or not) from the room. False when they were not there."""
        try:
            self.handle.request({"request": "kick", "room": int(room), "secret": secret, "id": int(participant_id)})
        except JanusError as exc:
            if exc.code == VIDEOROOM_NO_SUCH_FEED:
                return False
            raise
        return True

    def moderate(self, room: int, *, secret: str, participant_id: int, mid: str, mute: bool) -> None:
        """Mute or unmute one published stream (by its `mid`) of a publisher, in Janus: subscribers stop
        receiving it whatever the publisher's browser does."""
        self.handle.request({"request": "moderate", "room": int(room), "secret": secret,
                             "id": int(participant_id), "mid": str(mid), "mute": bool(mute)})

    def publisher_streams(self, room: int, participant_id: int) -> list[dict[str, Any]]:
        """The published streams of one publisher: [{"type": "audio", "mid": "0", "codec": "opus"}, …].

        Janus 1.1's `listparticipants` does not list streams, so this subscribes to the feed on a throw-away
        session (the `attached` event lists the feed's streams with their `feed_mid`), and destroys the session
        without ever answering the offer. A publisher that is not (or no longer) there gives []."""
        client = self.handle.client
        session_id = client.create_session()
        try:
            handle_id = client.attach(session_id, VIDEOROOM)
            try:
                event = client.message_async(session_id, handle_id, {
                    "request": "join", "ptype": "subscriber", "room": int(room),
                    "streams": [{"feed": int(participant_id)}]})
            except JanusError as exc:
                if exc.code in (VIDEOROOM_NO_SUCH_FEED, VIDEOROOM_NO_SUCH_ROOM):
                    return []
                raise
            streams = ((event.get("plugindata") or {}).get("data") or {}).get("streams") or []
            return [{"type": st.get("type"), "mid": str(st.get("feed_mid")), "codec": st.get("codec")}
                    for st in streams if st.get("feed_mid") is not None and not st.get("disabled")]
        finally:
            try:
                client.destroy_session(session_id)
            except JanusError:
                pass

    def mute(self, room: int, *, secret: str, participant_id: int, kind: str = "audio", mute: bool = True,
             mids: list[str] | None = None) -> int:
        """Mute (or unmute) every stream of `kind` ("audio"/"video") of a publisher, in Janus; returns how many.
        `mids` when the caller knows them, else they are looked up (`publisher_streams`)."""
        if mids is None:
            streams = self.publisher_streams(room, participant_id)
            mids = [str(s["mid"]) for s in streams if s.get("type") == kind and "mid" in s]
        for mid in mids:
            self.moderate(room, secret=secret, participant_id=participant_id, mid=mid, mute=mute)
        return len(mids)

    def edit(self, room: int, *, secret: str, **changes: Any) -> None:
        """Change room settings in place (new_publishers, new_bitrate, new_description…)."""
        self.handle.request({"request": "edit", "room": int(room), "secret": secret, **changes})


class AudioBridgeAdmin(_RoomsAdmin):
    """Server-side AudioBridge operations (the floor's mixed room audio will use them)."""

    no_such_room = AUDIOBRIDGE_NO_SUCH_ROOM

    def create(self, room: int, *, secret: str, allowed: list[str] | None = None, description: str = "",
               sampling_rate: int = 48000, audiolevel_event: bool = True,
               extra: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "room": int(room), "secret": secret, "description": description[:120] or f"stage {room}",
            "sampling_rate": int(sampling_rate), "audiolevel_event": audiolevel_event,
        }
        return self._create(body, allowed=allowed, extra=extra)

    def kick(self, room: int, *, secret: str, participant_id: int) -> None:
        self.handle.request({"request": "kick", "room": int(room), "secret": secret, "id": int(participant_id)})

    def rtp_forward(self, room: int, *, secret: str, host: str, port: int, srtp_crypto: str,
                    always_on: bool = True) -> int:
        """Forward the room's mix as Opus over SRTP to `host:port` (a Streaming mountpoint of the same Janus);
        returns the forwarder's id. Needs the plugin's admin_key (`lock_rtp_forward` in our configs)."""
        body: dict[str, Any] = {"request": "rtp_forward", "room": int(room), "secret": secret, "host": host,
                                "port": int(port), "codec": "opus", "ptype": STREAM_PT, "srtp_suite": 80,
                                "srtp_crypto": srtp_crypto, "always_on": always_on}
        if self.handle.client.server.api_secret:
            body["admin_key"] = self.handle.client.server.api_secret
        return int(self.handle.request(body)["stream_id"])


STREAM_PT = 100  # the Opus payload type between an AudioBridge forwarder and its mountpoint


class StreamingAdmin:
    """Server-side Streaming operations: receive-only audio mountpoints fed by an AudioBridge room's forwarder."""

    def __init__(self, handle: PluginHandle) -> None:
        self.handle = handle

    def create_audio(self, mountpoint: int, *, secret: str, pin: str, description: str,
                     srtp_crypto: str) -> int:
        """A private RTP mountpoint with one Opus stream, listening on 127.0.0.1 only (a port Janus picks) and
        accepting only SRTP with our key: nothing but the forwarder can feed it. Returns the port."""
        body: dict[str, Any] = {
            "request": "create", "type": "rtp", "id": int(mountpoint), "secret": secret, "pin": pin,
            "is_private": True, "permanent": False, "description": description[:120] or f"channel {mountpoint}",
            "media": [{"type": "audio", "mid": "a", "port": 0, "pt": STREAM_PT, "codec": "opus",
                       "iface": "127.0.0.1"}],
            "srtpsuite": 80, "srtpcrypto": srtp_crypto,
        }
        if self.handle.client.server.api_secret:
            body["admin_key"] = self.handle.client.server.api_secret
        stream = self.handle.request(body).get("stream") or {}
        ports = [int(p["port"]) for p in stream.get("ports", []) if p.get("type") == "audio" and p.get("port")]
        if not ports:
            raise JanusError(0, "the mountpoint has no audio port")
        return ports[0]

    def destroy(self, mountpoint: int, *, secret: str) -> bool:
        """Destroy the mountpoint (its viewers are hung up). False when it did not exist."""
        try:
            self.handle.request({"request": "destroy", "id": int(mountpoint), "secret": secret, "permanent": False})
        except JanusError as exc:
            if exc.code == STREAMING_NO_SUCH_MOUNTPOINT:
                return False
            raise
        return True

    def exists(self, mountpoint: int, *, secret: str) -> bool:
        try:
            self.handle.request({"request": "info", "id": int(mountpoint), "secret": secret})
        except JanusError as exc:
            if exc.code == STREAMING_NO_SUCH_MOUNTPOINT:
                return False
            raise
        return True


__all__ = ["AUDIOBRIDGE", "STREAMING", "VIDEOROOM", "AudioBridgeAdmin", "PluginHandle", "StreamingAdmin",
           "VideoRoomAdmin", "stage_room_id"]
