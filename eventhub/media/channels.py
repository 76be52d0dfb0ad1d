"""Interpretation channels in Janus: who may speak into a channel, and how everyone else hears it.

A channel is two things on the stage's server, sharing one id:
- an AudioBridge room that only its interpreter joins (the room's `allowed` ACL holds the interpreter's tokens and
  nobody else's): the interpreter speaks into it;
- a Streaming mountpoint, fed by the room's mix through an AudioBridge RTP forwarder (Opus over SRTP to 127.0.0.1,
  the mountpoint listening on 127.0.0.1 only and decrypting with a key only the forwarder has). Listeners, and an
  interpreter relaying this channel, watch the mountpoint.

Why not listeners in the AudioBridge room (what issue 11 started with): AudioBridge's ACL says who may *join*, not
who may *speak*, and Janus 1.1.2 has no way to keep a participant from unmuting itself; a listener's crafted client
could speak into the channel everyone hears. A Streaming viewer is receive-only by construction (the plugin offers
`sendonly` and ignores whatever a viewer sends) and a listener's token may attach to the Streaming plugin only, so
Janus itself refuses a listener at the AudioBridge (405). The extra hop is one local UDP packet per 20 ms: the
delay over the floor stays the AudioBridge's (its jitter buffer and mixing), and Streaming sends the same packets
to every listener instead of the AudioBridge encoding one mix per participant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

from eventhub.media.janus import (
    AUDIOBRIDGE,
    AUDIOBRIDGE_ROOM_EXISTS,
    STREAMING,
    STREAMING_MOUNTPOINT_EXISTS,
    JanusError,
)
from eventhub.media.rooms import AudioBridgeAdmin, StreamingAdmin

LOCALHOST = "127.0.0.1"


def listen_pin(secret: str) -> str:
    """The mountpoint's PIN, derived from the channel's secret (which never leaves the server): what a listener's
    page passes to `watch`. Knowing it gives no way back to the secret."""
    return hmac.new(secret.encode(), b"eventhub-channel-pin", hashlib.sha256).hexdigest()[:24]


def place(bridge: AudioBridgeAdmin, streaming: StreamingAdmin, *, room_id: int, secret: str, description: str,
          allowed: list[str]) -> None:
    """A channel on one server: the AudioBridge room (token ACL on, `allowed` only), its mountpoint and the
    forwarder between them. Leftovers with that id (an app restart) are replaced. Also what bench/stage.py makes."""
    # A short jitter buffer (3 × 20 ms packets): the channel should add little over the floor's own delay.
    extra = {"default_prebuffering": 3}
    try:
        bridge.create(room_id, secret=secret, allowed=allowed, description=description, extra=extra)
    except JanusError as exc:
        if exc.code != AUDIOBRIDGE_ROOM_EXISTS:
            raise
        bridge.destroy(room_id, secret=secret)
        bridge.create(room_id, secret=secret, allowed=allowed, description=description, extra=extra)
    key = base64.b64encode(secrets.token_bytes(30)).decode()  # SRTP master key + salt (30 bytes), this pair only
    pin = listen_pin(secret)
    try:
        port = streaming.create_audio(room_id, secret=secret, pin=pin, description=description, srtp_crypto=key)
    except JanusError as exc:
        if exc.code != STREAMING_MOUNTPOINT_EXISTS:
            raise
        streaming.destroy(room_id, secret=secret)
        port = streaming.create_audio(room_id, secret=secret, pin=pin, description=description, srtp_crypto=key)
    # always_on: silence flows while the booth is empty, so a listener's stream is up before the first word.
    bridge.rtp_forward(room_id, secret=secret, host=LOCALHOST, port=port, srtp_crypto=key, always_on=True)


class ChannelMedia:
    """The channel operations of `MediaPool` (`self.pool` is its `JanusPool`)."""

    pool: Any

    def place_channel(self, server: str, *, room_id: int, secret: str, description: str,
                      allowed: list[str]) -> None:
        place(self.pool.audiobridge(server), self.pool.streaming(server), room_id=room_id, secret=secret,
              description=description, allowed=allowed)

    def destroy_channel(self, server: str, room_id: int, secret: str) -> None:
        """Idempotent: the mountpoint (its viewers hang up) and the room (its forwarder goes with it)."""
        self.pool.streaming(server).destroy(room_id, secret=secret)
        self.pool.audiobridge(server).destroy(room_id, secret=secret)

    def channel_exists(self, server: str, room_id: int, secret: str) -> bool:
        """Both halves are there (a Janus restart loses both)."""
        return bool(self.pool.audiobridge(server).exists(room_id)) and \
            self.pool.streaming(server).exists(room_id, secret=secret)

    def allow_audio(self, server: str, room_id: int, secret: str, tokens: list[str], *, add: bool) -> None:
        """The speaking right: tokens in (or out of) the channel room's ACL."""
        bridge = self.pool.audiobridge(server)
        (bridge.allow if add else bridge.disallow)(room_id, secret=secret, tokens=tokens)

    def add_channel_token(self, server: str, token: str, *, speak: bool) -> None:
        """A core token for a channel: the Streaming plugin only (a listener; Janus refuses it at the AudioBridge
        with 405), or also the AudioBridge (an interpreter, who may still only join the rooms whose ACL holds it)."""
        self.pool.client(server).add_token(token, [AUDIOBRIDGE, STREAMING] if speak else [STREAMING])

    def audio_participants(self, server: str, room_id: int) -> list[dict[str, Any]]:
        return self.pool.audiobridge(server).participants(room_id)

    def kick_audio(self, server: str, room_id: int, secret: str, participant_id: int) -> None:
        self.pool.audiobridge(server).kick(room_id, secret=secret, participant_id=participant_id)
