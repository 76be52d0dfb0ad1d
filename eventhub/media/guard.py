"""Audio only, enforced by Janus: a remote attendee given the floor without video must not reach anyone's screen
with a camera, whatever their browser offers.

Janus 1.1.2's VideoRoom has no per-publisher "no video" setting, and `moderate` (mute one stream of a publisher)
needs the stream to exist, i.e. the publisher to have published. So the app sits in the stage's room as a silent
participant (a publisher that never publishes, joined with a token of its own in the room's ACL): Janus tells every
such participant about each publisher's streams when it publishes or renegotiates (`publishers` events), and the
guard mutes every video stream of the feeds it keeps audio-only at once — before any subscriber has finished its
own negotiation for that feed, so no frame reaches one. The stage's upkeep is the backstop (a guard lives in the
process that issued the credentials; it forgets a feed that has been out of the room for a span, and ends with the
room).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from eventhub.media.janus import VIDEOROOM, JanusClient, JanusError, JanusServer

log = logging.getLogger(__name__)
KEEPALIVE = 5.0  # the guard's session must outlive Janus's session_timeout (15 s): long polls do not count


class AudioOnlyGuard:
    """One per VideoRoom room and app process. `keep(feed, span)` guards a feed for `span` seconds after it was
    last seen in the room (each `publishers` event, and a participants check every few seconds, renews it), so an
    unpublish/republish or a leave/rejoin within the turn is muted too; `drop(feed)` ends it (the turn ended here).
    The stage gives an attendee a new feed id for each turn, so a guard left in another process can never mute a
    later turn that may show video. The thread stops when no feed is left. `mute(feed, mids)` is the pool's
    moderate call; `allow(token, add)` puts the guard's join token in or out of the room's ACL (the guard talks to
    Janus with the API secret, like the app's control sessions: the token is only the room's ACL entry)."""

    def __init__(self, server: JanusServer, room: int, *, mute: Callable[[int, list[str]], None],
                 allow: Callable[[str, bool], None]) -> None:
        self.server, self.room = server, room
        self._mute, self._allow = mute, allow
        self._feeds: dict[int, tuple[float, float]] = {}  # feed id → (deadline (monotonic), span)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.client = JanusClient(JanusServer(name=f"{server.name}-guard", url=server.url,
                                              api_secret=server.api_secret))
        self._session, self._handle_id, self._token = 0, 0, ""
        self.muted: list[tuple[int, str]] = []  # what it did (for logs and tests)

    @property
    def running(self) -> bool:
        return self._thread is not None

    def keep(self, feed: int, span: float) -> None:
        with self._lock:
            self._feeds[int(feed)] = (time.monotonic() + span, span)
            start = self._thread is None
            if start:
                self._thread = threading.Thread(target=self._run, name=f"audio-only-{self.room}", daemon=True)
        if start:
            try:
                self._start()
            except JanusError:
                with self._lock:
                    self._thread = None
                raise

    def drop(self, feed: int) -> None:
        with self._lock:
            self._feeds.pop(int(feed), None)

    def feeds(self) -> set[int]:
        with self._lock:
            return set(self._feeds)

    # --- the room ---------------------------------------------------------------------------------------------
    def _start(self) -> None:
        """Ask to join the room now (a publication after `keep` returns is then either in the `joined` event's
        list or in a later event: Janus queues them until the thread polls), then watch in the thread."""
        token = secrets.token_urlsafe(24)
        self._allow(token, True)
        session = None
        try:
            session = self.client.create_session()
            handle = self.client.attach(session, VIDEOROOM)
            self.client.request(f"{session}/{handle}", {"janus": "message", "body": {
                "request": "join", "ptype": "publisher", "room": int(self.room), "display": "eventhub-guard",
                "token": token}})
        except JanusError:
            self._leave(token, session)
            raise
        self._session, self._handle_id, self._token = session, handle, token
        assert self._thread is not None
        self._thread.start()

    def _run(self) -> None:
        session, token = self._session, self._token
        last = time.monotonic()
        try:
            while self._pending():
                for event in self.client.poll(session, timeout=KEEPALIVE):
                    data = (event.get("plugindata") or {}).get("data") or {}
                    if data.get("videoroom") == "destroyed" or data.get("error_code"):
                        log.warning("audio-only guard of room %s: %s", self.room, data.get("error") or "destroyed")
                        with self._lock:
                            self._thread = None
                        return
                    self._handle(data)
                if time.monotonic() - last >= KEEPALIVE:
                    self.client.keepalive(session)
                    self._renew(session)
                    last = time.monotonic()
        except JanusError as exc:  # the room or Janus went: the upkeep's backstop takes over
            log.warning("audio-only guard of room %s stopped: %s", self.room, exc.reason)
            with self._lock:
                self._thread = None
        finally:
            self._leave(token, session)

    def _renew(self, session: int) -> None:
        """Feeds still in the room are guarded another span."""
        data = self.client.message(session, self._handle_id, {"request": "listparticipants", "room": int(self.room)})
        self._present({int(p.get("id") or 0) for p in data.get("participants") or []})

    def _present(self, feeds: set[int]) -> None:
        now = time.monotonic()
        with self._lock:
            for feed in feeds & set(self._feeds):
                span = self._feeds[feed][1]
                self._feeds[feed] = (now + span, span)

    def _pending(self) -> bool:
        """Feeds left to guard; when none, the thread is marked gone under the lock (a `keep` racing with the exit
        starts a new one)."""
        now = time.monotonic()
        with self._lock:
            for feed, (until, _span) in list(self._feeds.items()):
                if until <= now:
                    del self._feeds[feed]  # gone (or never came) for a whole span: the upkeep is the backstop
            if not self._feeds:
                self._thread = None
            return bool(self._feeds)

    def _handle(self, data: dict[str, Any]) -> None:
        for publisher in data.get("publishers") or []:
            feed = int(publisher.get("id") or 0)
            if feed not in self.feeds():
                continue
            self._present({feed})
            mids = [str(s["mid"]) for s in publisher.get("streams") or []
                    if s.get("type") == "video" and s.get("mid") is not None and not s.get("disabled")]
            if mids:
                try:
                    self._mute(feed, mids)
                    self.muted += [(feed, mid) for mid in mids]
                except JanusError as exc:
                    log.warning("could not mute the video of feed %s: %s", feed, exc.reason)

    def _leave(self, token: str, session: int | None) -> None:
        try:
            if session is not None:
                self.client.destroy_session(session)
        except JanusError:
            pass
        try:
            self._allow(token, False)
        except JanusError as exc:
            log.warning("audio-only guard token of room %s not removed from its ACL: %s", self.room, exc.reason)


class AudioOnlyMedia:
    """The guard operations of `MediaPool` (`self.pool` is its `JanusPool`): one guard per room, in this process."""

    pool: Any
    _guards: dict[tuple[str, int], AudioOnlyGuard]

    def keep_audio_only(self, server: str, room_id: int, secret: str, feed_id: int, *, on: bool,
                        for_seconds: float = 120.0) -> None:
        """`on`: from now on Janus mutes every video stream `feed_id` publishes in that room, until the feed has been
        out of the room for `for_seconds`. Off: this process stops guarding it."""
        if not hasattr(self, "_guards"):
            self._guards = {}
        key = (server, int(room_id))
        guard = self._guards.get(key)
        if not on:
            if guard is not None:
                guard.drop(feed_id)
            return
        if guard is None:
            rooms = self.pool.videoroom(server)

            def mute(feed: int, mids: list[str]) -> None:
                rooms.mute(room_id, secret=secret, participant_id=feed, kind="video", mids=mids)

            def allow(token: str, add: bool) -> None:
                (rooms.allow if add else rooms.disallow)(room_id, secret=secret, tokens=[token])

            guard = self._guards[key] = AudioOnlyGuard(self.pool.get(server), int(room_id), mute=mute, allow=allow)
        guard.keep(feed_id, for_seconds)

    def audio_only_guard(self, server: str, room_id: int) -> AudioOnlyGuard | None:
        return getattr(self, "_guards", {}).get((server, int(room_id)))
