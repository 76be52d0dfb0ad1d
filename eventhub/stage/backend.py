"""The stage's view of the media layer: what it needs from eventhub.media, and how Janus calls follow commits
(split from services; re-exported there)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from flask import current_app
from flask_babel import lazy_gettext as _l

from eventhub.core.db import on_commit
from eventhub.core.errors import DomainError
from eventhub.media.janus import JanusError

log = logging.getLogger(__name__)
MEDIA_EXTENSION = "eventhub_media"


class Media(Protocol):
    """What the stage needs from eventhub.media (NOTES-stage.md); implemented by stage-media's pool."""

    def place_room(self, *, room_id: int, publishers: int, secret: str, description: str,
                   allowed: list[str], exclude: Iterable[str] = ()) -> str: ...
    def room_exists(self, server: str, room_id: int) -> bool: ...
    def list_publisher_ids(self, server: str, room_id: int) -> list[int]: ...
    def is_healthy(self, server: str) -> bool: ...
    def destroy_room(self, server: str, room_id: int, secret: str) -> None: ...
    def allow(self, server: str, room_id: int, secret: str, tokens: list[str], *, add: bool) -> None: ...
    def add_token(self, server: str, token: str) -> None: ...
    def remove_token(self, server: str, token: str) -> None: ...
    def kick(self, server: str, room_id: int, secret: str, feed_id: int) -> None: ...
    def moderate(self, server: str, room_id: int, secret: str, feed_id: int, *, mute: bool,
                 kind: str = "audio") -> None: ...
    def keep_audio_only(self, server: str, room_id: int, secret: str, feed_id: int, *, on: bool,
                        for_seconds: float = 120.0) -> None: ...
    def browser_config(self, server: str, *, user: str) -> dict[str, Any]: ...


class MediaUnavailable(DomainError):
    status = 503


def media_backend() -> Media | None:
    return current_app.extensions.get(MEDIA_EXTENSION)


def require_media(media: Media | None) -> Media:
    if media is None:
        raise MediaUnavailable("media_unavailable", _l("The stage's media server is not configured or not "
                                                       "reachable. Everything else works."))
    return media


def media_refused(exc: JanusError) -> MediaUnavailable:
    log.warning("stage media refused: %s", exc)
    return MediaUnavailable("media_unavailable", _l("The stage's media server did not answer. Try again in a "
                                                    "moment."))


def media_after_commit(action: Callable[[Media], None], media: Media | None) -> None:
    """Run a Janus call once the database holds the change; a failure is logged (the sweep retries)."""
    if media is None:
        return

    def run() -> None:
        try:
            action(media)
        except Exception:  # Janus down: the database is right, Janus catches up on the next sweep
            log.exception("stage media call failed")

    on_commit(run)
