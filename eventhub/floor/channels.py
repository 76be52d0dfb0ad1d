"""Interpretation: one channel per session and language, its interpreter invited by a signed personal link.

The audio itself (a Janus AudioBridge room per language) is the stage's work. The seam is `listener_source()`:
what a listener who chose a language should subscribe to (the floor, or that language's channel), and
`interpreter_source()`: what an interpreter hears (the floor, or the channel they relay).
"""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from eventhub import signals
from eventhub.auth.models import User
from eventhub.core.errors import Conflict, NotFound, ValidationFailed, strip_control
from eventhub.extensions import db
from eventhub.floor import services
from eventhub.floor.models import Channel
from eventhub.schedule.models import AgendaSession

CHANNEL_REVOKED = "channel"  # the `core.revocations` kind of a revoked interpreter link (id: the channel's)
LANGUAGE_CODES = ("fr", "ar", "en", "bm", "es", "pt", "de", "zh", "ru", "wo", "ff", "tmh", "son")


def channels_of(session_id: int) -> list[Channel]:
    return list(db.session.scalars(db.select(Channel).where(Channel.session_id == session_id)
                                   .order_by(Channel.language)))


def channel_view(c: Channel) -> dict[str, Any]:
    return {"id": c.id, "session_id": c.session_id, "language": c.language, "interpreter": c.interpreter_name or None,
            "relay_from_id": c.relay_from_id}


def add_channel(session: AgendaSession, *, by: User, language: str, interpreter_name: str = "",
                interpreter_email: str = "") -> Channel:
    services.require_moderator(by, session)
    language = (language or "").strip().lower()
    if language not in LANGUAGE_CODES:
        message = _l("Choose a language from the list.")
        raise ValidationFailed("invalid_language", message, fields={"language": [str(message)]})
    name = " ".join(strip_control(interpreter_name or "").split())[:200]
    email = (interpreter_email or "").strip()
    if email:
        try:
            email = validate_email(email[:254], check_deliverability=False).normalized
        except EmailNotValidError:
            message = _l("Enter a valid email address.")
            raise ValidationFailed("invalid_email", message, fields={"email": [str(message)]}) from None
    channel = Channel(session_id=session.id, language=language, interpreter_name=name, interpreter_email=email)
    try:
        with db.session.begin_nested():
            db.session.add(channel)
            db.session.flush()
    except IntegrityError:
        raise Conflict("channel_exists", _l("This session already has a channel in that language.")) from None
    return channel


def get_channel(channel_id: Any) -> Channel:
    c = db.session.get(Channel, channel_id) if services.valid_id(channel_id) else None
    if c is None:
        raise NotFound("channel_not_found", _l("No such interpretation channel."))
    return c


def set_relay(channel: Channel, source_id: int | None) -> Channel:
    """The interpreter takes another channel as their source (relay), or the floor (None). No loops."""
    if source_id is not None:
        source = get_channel(source_id)
        seen = {channel.id}
        probe: Channel | None = source
        while probe is not None:
            if probe.session_id != channel.session_id:
                raise NotFound("channel_not_found", _l("No such interpretation channel."))
            if probe.id in seen:
                raise Conflict("relay_loop", _l("These channels would relay each other: choose the floor or "
                                                "another language."))
            seen.add(probe.id)
            probe = db.session.get(Channel, probe.relay_from_id) if probe.relay_from_id else None
    channel.relay_from_id = source_id
    db.session.flush()
    return channel


# --- personal links -------------------------------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="interpreter-link")


def make_link_token(channel: Channel) -> str:
    return _serializer().dumps({"c": channel.id, "s": channel.session_id, "v": channel.link_version})


def channel_from_token(token: Any) -> Channel | None:
    if not isinstance(token, str) or not token or len(token) > 500:
        return None
    max_age = current_app.config["PANELIST_LINK_MAX_AGE"]
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in ("c", "s", "v")):
        return None
    channel = db.session.get(Channel, data["c"])
    if channel is None or channel.session_id != data["s"] or channel.link_version != data["v"]:
        return None
    return channel


def revoke_link(channel: Channel, *, by: User) -> None:
    """Every link sent so far stops working, and what the interpreter holds already is cut at once (not at its
    token's expiry): the receivers of `interpreter_link_revoked` remove their Janus tokens and end their live
    connections once this commits."""
    services.require_moderator(by, services.session_of(channel.session_id))
    channel.link_version += 1
    db.session.flush()
    signals.interpreter_link_revoked.send(channel)


# --- the seam for the media layer ------------------------------------------------------------------------------

def listener_source(session: AgendaSession, language: str | None) -> dict[str, Any]:
    """What a listener who picked `language` subscribes to: `{"source": "floor"}` or the channel in that language.

    The stage maps `channel_id` to its Janus AudioBridge room (one per channel) and mixes the floor faint under it.
    """
    channel = db.session.scalar(db.select(Channel).where(Channel.session_id == session.id,
                                                         Channel.language == language)) if language else None
    if channel is None:
        return {"session_id": session.id, "language": None, "source": "floor", "channel_id": None}
    return {"session_id": session.id, "language": channel.language, "source": "channel", "channel_id": channel.id,
            "floor_underneath": True}


def interpreter_source(channel: Channel) -> dict[str, Any]:
    """What the interpreter of `channel` hears: the floor, or the channel they relay."""
    if channel.relay_from_id is None:
        return {"session_id": channel.session_id, "source": "floor", "channel_id": None}
    return {"session_id": channel.session_id, "source": "channel", "channel_id": channel.relay_from_id}
