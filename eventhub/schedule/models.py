"""Rooms, agenda sessions, panelists and who takes part in what."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.auth.models import User
from eventhub.core.types import UTCDateTime, utcnow
from eventhub.extensions import Model


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class SessionKind(enum.StrEnum):
    OPENING = "opening"
    PANEL = "panel"
    PITCH = "pitch"
    BREAK = "break"
    NETWORKING = "networking"


# The kinds of session someone speaks at, which a remote audience watches: they have a stage (a closed one from
# the session's creation, opened by a stage manager). A break or networking session has none.
STAGED_KINDS = frozenset({SessionKind.OPENING, SessionKind.PANEL, SessionKind.PITCH})


class ParticipationMode(enum.StrEnum):
    ON_STAGE = "on_stage"
    REMOTE = "remote"


class ScheduleState(Model):
    """Whether attendees see the event's schedule (one row per event, created on first use)."""

    __tablename__ = "schedule_states"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Room(Model):
    __tablename__ = "rooms"
    __table_args__ = (UniqueConstraint("event_id", "name", name="uq_rooms_event_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int | None] = mapped_column()
    has_stream: Mapped[bool] = mapped_column(default=False)  # stage video / streaming equipment
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AgendaSession(Model):
    """One slot of the programme. `published_at` None: a draft attendees do not see yet."""

    __tablename__ = "agenda_sessions"
    __table_args__ = (Index("ix_agenda_sessions_event_starts", "event_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[SessionKind] = mapped_column(_enum(SessionKind), default=SessionKind.PANEL)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    languages: Mapped[str] = mapped_column(String(50), default="fr")  # comma-separated codes
    meeting_url: Mapped[str] = mapped_column(String(500), default="")  # external video tool, for panelists
    livestream_url: Mapped[str] = mapped_column(String(500), default="")  # for remote attendees
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # last change after publication
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    room: Mapped[Room | None] = relationship()
    panelists: Mapped[list[SessionPanelist]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionPanelist.id")
    moderators: Mapped[list[SessionModerator]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionModerator.id")

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def language_list(self) -> list[str]:
        return [c for c in self.languages.split(",") if c]

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class Panelist(Model):
    """A speaker of one event: with an account (`user_id`) or only an invitation by email."""

    __tablename__ = "panelists"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    organization: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)
    photo_type: Mapped[str] = mapped_column(String(20), default="")
    mode: Mapped[ParticipationMode] = mapped_column(_enum(ParticipationMode), default=ParticipationMode.ON_STAGE)
    timezone: Mapped[str] = mapped_column(String(64))  # always set by the services (DEFAULT_TIMEZONE)
    # Bumped to revoke every personal link sent so far.
    link_version: Mapped[int] = mapped_column(default=1)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # opened their page on the day
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User | None] = relationship()
    sessions: Mapped[list[SessionPanelist]] = relationship(back_populates="panelist", cascade="all, delete-orphan")


class SessionPanelist(Model):
    __tablename__ = "session_panelists"
    __table_args__ = (UniqueConstraint("session_id", "panelist_id", name="uq_session_panelists_session_panelist"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"), index=True)
    panelist_id: Mapped[int] = mapped_column(ForeignKey("panelists.id", ondelete="CASCADE"), index=True)
    mode: Mapped[ParticipationMode | None] = mapped_column(_enum(ParticipationMode))  # None: the panelist's own

    session: Mapped[AgendaSession] = relationship(back_populates="panelists")
    panelist: Mapped[Panelist] = relationship(back_populates="sessions")

    @property
    def effective_mode(self) -> ParticipationMode:
        return self.mode or self.panelist.mode


class SessionModerator(Model):
    __tablename__ = "session_moderators"
    __table_args__ = (UniqueConstraint("session_id", "user_id", name="uq_session_moderators_session_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    session: Mapped[AgendaSession] = relationship(back_populates="moderators")
    user: Mapped[User] = relationship()


class StarredSession(Model):
    """A session an attendee put on their personal agenda (attendees have no account: by registration)."""

    __tablename__ = "starred_sessions"
    __table_args__ = (
        UniqueConstraint("registration_id", "session_id", name="uq_starred_sessions_registration_session"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
