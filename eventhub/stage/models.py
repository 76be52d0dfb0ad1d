"""The stage of an agenda session: its Janus room, live state and screen layout, who is on it, the join tokens
EventHub issued, and the broadcast log a reconnecting client replays."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.types import UTCDateTime, str_enum, utcnow
from eventhub.extensions import Model


class StageState(enum.StrEnum):
    CLOSED = "closed"  # no Janus room
    OPEN = "open"  # room up: panelists gather backstage, the room feed runs; the screen shows nobody yet
    LIVE = "live"  # the session is on: live speakers are on the screen and reach remote attendees
    ENDED = "ended"  # room destroyed, tokens removed


class StageRole(enum.StrEnum):
    PANELIST = "panelist"  # a remote speaker: publishes
    ROOM_FEED = "room_feed"  # the hall's camera + PA mix: publishes
    MANAGER = "manager"  # moderator or organizer: receives only (watches everyone)
    SCREEN = "screen"  # the projector in the hall: receives only
    ATTENDEE = "attendee"  # remote ticket holder: receives only, publishes only during an accepted turn
    INTERPRETER = "interpreter"  # hears the floor (receives only); speaks into their AudioBridge channel

    @property
    def publishes(self) -> bool:
        return self in (StageRole.PANELIST, StageRole.ROOM_FEED)


class ParticipantState(enum.StrEnum):
    BACKSTAGE = "backstage"
    LIVE = "live"
    REMOVED = "removed"


class Stage(Model):
    """One per agenda session, created (closed) with the session."""

    __tablename__ = "stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    state: Mapped[StageState] = mapped_column(str_enum(StageState), default=StageState.CLOSED)
    janus_server: Mapped[str | None] = mapped_column(String(100))
    janus_room_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    room_secret: Mapped[str] = mapped_column(String(64), default="")  # never leaves the server
    screen_key: Mapped[str] = mapped_column(String(64), unique=True)  # the screen and room feed pages' key
    spotlight_id: Mapped[int | None] = mapped_column()  # a StageParticipant of this stage (no FK: no cycle)
    show_question: Mapped[bool] = mapped_column(default=False)  # the pinned Q&A question on the screen
    seq: Mapped[int] = mapped_column(default=0)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    live_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    participants: Mapped[list[StageParticipant]] = relationship(
        back_populates="stage", foreign_keys="StageParticipant.stage_id", order_by="StageParticipant.id")


class StageParticipant(Model):
    """A publisher on the stage: a remote panelist (`panelist_id`), the room feed, or a remote attendee whose raised
    hand was accepted (`registration_id`, `hand_id`: they may publish only while live, i.e. during their turn).
    `feed_id` is the Janus publisher id the app assigned; the screen share, when allowed, publishes as `feed_id + 1`."""

    __tablename__ = "stage_participants"
    __table_args__ = (
        UniqueConstraint("stage_id", "panelist_id", name="uq_stage_participants_stage_panelist"),
        UniqueConstraint("stage_id", "feed_id", name="uq_stage_participants_stage_feed"),
        CheckConstraint("(role = 'panelist') = (panelist_id IS NOT NULL)", name="panelist_has_panelist_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id", ondelete="CASCADE"), index=True)
    role: Mapped[StageRole] = mapped_column(str_enum(StageRole))
    panelist_id: Mapped[int | None] = mapped_column(ForeignKey("panelists.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"),
                                                        index=True)
    hand_id: Mapped[int | None] = mapped_column()  # the floor's hand (no FK: the floor is another area)
    video_allowed: Mapped[bool] = mapped_column(default=False)  # attendees: audio only unless the moderator allows
    feed_id: Mapped[int] = mapped_column(BigInteger)
    display: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[ParticipantState] = mapped_column(str_enum(ParticipantState), default=ParticipantState.BACKSTAGE)
    muted: Mapped[bool] = mapped_column(default=False)  # by a stage manager (in Janus too)
    self_muted: Mapped[bool] = mapped_column(default=False)
    screen_share_allowed: Mapped[bool] = mapped_column(default=False)
    connection: Mapped[str] = mapped_column(String(20), default="offline")  # reported by the client
    quality: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # bitrate, loss, rtt, weak
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    stage: Mapped[Stage] = relationship(back_populates="participants", foreign_keys=[stage_id])


class StageToken(Model):
    """A Janus core token EventHub issued for one person and one stage. Removed from Janus when it expires
    (no heartbeat for STAGE_TOKEN_TTL), on leave, on removal, or when its holder loses the right."""

    __tablename__ = "stage_tokens"
    __table_args__ = (Index("ix_stage_tokens_stage_active", "stage_id", "removed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[StageRole] = mapped_column(str_enum(StageRole))
    # Who holds it (at most one of these; the screen and the room feed hold the stage's key).
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("stage_participants.id", ondelete="CASCADE"),
                                                       index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"),
                                                        index=True)
    # An interpreter's tokens (their channel's AudioBridge room, and the floor through /stage): revoking their
    # link removes them at once. No FK: the floor's channels are another area's.
    channel_id: Mapped[int | None] = mapped_column(index=True)
    janus_server: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StageBroadcast(Model):
    """What was broadcast on a stage, by sequence number; `audience` "public" or "managers"."""

    __tablename__ = "stage_broadcasts"
    __table_args__ = (UniqueConstraint("stage_id", "seq", name="uq_stage_broadcasts_stage_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column()
    audience: Mapped[str] = mapped_column(String(10))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
