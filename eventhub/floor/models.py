"""The floor: list of speakers, speeches (begin, end, pauses), delegations and their budgets, raised hands,
interpretation channels and the broadcast log.

Timers are never stored as "seconds left": a speech stores when it began, ended, when its current pause began and
the total of its finished pauses; every screen computes the same countdown from those times.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.types import UTCDateTime, str_enum, utcnow
from eventhub.extensions import Model


class SpeakerKind(enum.StrEnum):
    PANELIST = "panelist"
    MODERATOR = "moderator"
    ATTENDEE = "attendee"  # from an accepted raised hand


class SpeakerState(enum.StrEnum):
    WAITING = "waiting"
    SPEAKING = "speaking"  # has an open speech (running or paused)
    DONE = "done"


class HandStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class FloorSettings(Model):
    """One row per agenda session, created on first use. `seq` numbers the session's floor broadcasts."""

    __tablename__ = "floor_settings"

    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(default=0)
    default_budget_seconds: Mapped[int | None] = mapped_column()  # per speaker, when the entry sets none
    show_timer_on_screen: Mapped[bool] = mapped_column(default=False)  # the stage screen renders floor/_timer.html
    hands_open: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Delegation(Model):
    """A group sharing a speaking-time budget in one session: a country ("ML", "DZ") or a group the organizer names."""

    __tablename__ = "floor_delegations"
    __table_args__ = (UniqueConstraint("session_id", "name", name="uq_floor_delegations_session_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    country: Mapped[str] = mapped_column(String(2), default="")  # panelists of this country join it by default
    budget_seconds: Mapped[int | None] = mapped_column()


class Speaker(Model):
    """One entry of a session's list of speakers, in `position` order."""

    __tablename__ = "floor_speakers"
    __table_args__ = (Index("ix_floor_speakers_session_position", "session_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[SpeakerKind] = mapped_column(str_enum(SpeakerKind))
    panelist_id: Mapped[int | None] = mapped_column(ForeignKey("panelists.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    participant_key: Mapped[str | None] = mapped_column(String(80))  # attendees: "r:12", "u:3", "a:<random>"
    name: Mapped[str] = mapped_column(String(200))
    remote: Mapped[bool] = mapped_column(default=False)  # the stage brings remote speakers live
    video_allowed: Mapped[bool] = mapped_column(default=False)  # attendees: audio only unless the moderator allows
    delegation_id: Mapped[int | None] = mapped_column(ForeignKey("floor_delegations.id", ondelete="SET NULL"),
                                                      index=True)
    budget_seconds: Mapped[int | None] = mapped_column()
    state: Mapped[SpeakerState] = mapped_column(str_enum(SpeakerState), default=SpeakerState.WAITING)
    hand_id: Mapped[int | None] = mapped_column(ForeignKey("floor_hands.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    delegation: Mapped[Delegation | None] = relationship()


class Speech(Model):
    """One turn at the floor. At most one running speech per session (ended_at and paused_at both NULL): a partial
    unique index, so two moderators starting speakers at once cannot both succeed."""

    __tablename__ = "floor_speeches"
    __table_args__ = (
        Index("uq_floor_speeches_one_running", "session_id", unique=True,
              sqlite_where=text("ended_at IS NULL AND paused_at IS NULL"),
              postgresql_where=text("ended_at IS NULL AND paused_at IS NULL")),
        Index("ix_floor_speeches_session_started", "session_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"))
    speaker_id: Mapped[int | None] = mapped_column(ForeignKey("floor_speakers.id", ondelete="SET NULL"), index=True)
    panelist_id: Mapped[int | None] = mapped_column(ForeignKey("panelists.id", ondelete="SET NULL"))
    # Snapshots: the record keeps who spoke for which delegation even if the entry is later edited or removed.
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SpeakerKind] = mapped_column(str_enum(SpeakerKind))
    delegation_id: Mapped[int | None] = mapped_column(ForeignKey("floor_delegations.id", ondelete="SET NULL"))
    delegation_name: Mapped[str] = mapped_column(String(80), default="")
    budget_seconds: Mapped[int | None] = mapped_column()
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the pause in progress
    paused_seconds: Mapped[float] = mapped_column(default=0.0)  # finished pauses
    interrupted_id: Mapped[int | None] = mapped_column(ForeignKey("floor_speeches.id", ondelete="SET NULL"))

    speaker: Mapped[Speaker | None] = relationship()

    def elapsed(self, now: datetime) -> float:
        """Seconds of speaking so far (pauses excluded)."""
        until = self.ended_at or self.paused_at or now
        pause = self.paused_seconds
        if self.ended_at is not None and self.paused_at is not None:  # ended while paused
            until = self.paused_at
        return max(0.0, (until - self.started_at).total_seconds() - pause)

    def total_pause(self, now: datetime) -> float:
        current = 0.0
        if self.paused_at is not None:
            current = ((self.ended_at or now) - self.paused_at).total_seconds()
        return self.paused_seconds + max(0.0, current)


class Hand(Model):
    """A request for the floor from the live page. One pending request per participant and session."""

    __tablename__ = "floor_hands"
    __table_args__ = (
        Index("uq_floor_hands_one_pending", "session_id", "participant_key", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
        Index("ix_floor_hands_session_status", "session_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"))
    participant_key: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200), default="")
    topic: Mapped[str] = mapped_column(String(200), default="")
    remote: Mapped[bool] = mapped_column(default=True)
    status: Mapped[HandStatus] = mapped_column(str_enum(HandStatus), default=HandStatus.PENDING)
    video_allowed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Channel(Model):
    """An interpretation channel: one per session and language, spoken by its interpreter (invited by a signed
    personal link). `relay_from_id` None: the interpreter listens to the floor; else to that channel."""

    __tablename__ = "floor_channels"
    __table_args__ = (UniqueConstraint("session_id", "language", name="uq_floor_channels_session_language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    interpreter_name: Mapped[str] = mapped_column(String(200), default="")
    interpreter_email: Mapped[str] = mapped_column(String(254), default="")
    link_version: Mapped[int] = mapped_column(default=1)
    relay_from_id: Mapped[int | None] = mapped_column(ForeignKey("floor_channels.id", ondelete="SET NULL"))
    # Its Janus AudioBridge room, on the stage's server, while the stage is open (eventhub/floor/interpretation.py).
    janus_server: Mapped[str | None] = mapped_column(String(100))
    janus_room_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    room_secret: Mapped[str] = mapped_column(String(64), default="")  # never leaves the server
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FloorBroadcast(Model):
    """What was broadcast, by sequence number, so a reconnecting client gets exactly what it missed.

    `audience`: "public" (everyone in the session) or "private" (moderators, and the participant named by
    `participant_key`: their own raised hand)."""

    __tablename__ = "floor_broadcasts"
    __table_args__ = (UniqueConstraint("session_id", "seq", name="uq_floor_broadcasts_session_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column()
    audience: Mapped[str] = mapped_column(String(10))
    participant_key: Mapped[str | None] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
