"""Check-in points, check-ins (one live per registration and point) and the log of every scan."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.auth.models import User
from eventhub.core.types import UTCDateTime, utcnow
from eventhub.extensions import Model
from eventhub.registration.models import Registration


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class PointKind(enum.StrEnum):
    ENTRANCE = "entrance"  # admits to the event (main entrance, side door)
    SESSION = "session"  # records attendance of one session in a room


class CheckInSettings(Model):
    """Per-event check-in rules, kept apart from the events table."""

    __tablename__ = "checkin_settings"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    # A remote ticket at the door: admit as an in-room upgrade when in-person seats remain, or refuse.
    remote_upgrade: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class CheckInPoint(Model):
    __tablename__ = "checkin_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[PointKind] = mapped_column(_enum(PointKind), default=PointKind.ENTRANCE)
    # The agenda session this point records (schedule package); a plain id, no foreign key on purpose.
    agenda_session_id: Mapped[int | None] = mapped_column()
    requires_entry: Mapped[bool] = mapped_column(default=False)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def is_entrance(self) -> bool:
        return self.kind == PointKind.ENTRANCE


class CheckIn(Model):
    """A person admitted at a point. At most one live (not undone) per registration and point."""

    __tablename__ = "checkins"
    __table_args__ = (
        Index(
            "uq_checkins_registration_point_live", "registration_id", "point_id", unique=True,
            sqlite_where=text("undone_at IS NULL"), postgresql_where=text("undone_at IS NULL"),
        ),
        Index("ix_checkins_event_point", "event_id", "point_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    point_id: Mapped[int] = mapped_column(ForeignKey("checkin_points.id", ondelete="CASCADE"))
    admitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    nonce: Mapped[str | None] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64), default="")
    offline: Mapped[bool] = mapped_column(default=False)
    upgraded: Mapped[bool] = mapped_column(default=False)  # a remote ticket admitted into the room
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    registration: Mapped[Registration] = relationship()
    point: Mapped[CheckInPoint] = relationship()
    by: Mapped[User | None] = relationship(foreign_keys=[by_id])
    undone_by: Mapped[User | None] = relationship(foreign_keys=[undone_by_id])


class Scan(Model):
    """Every scan, refused ones too. Raw input is never stored whole: a short prefix and a hash."""

    __tablename__ = "checkin_scans"
    __table_args__ = (
        # A retried request (same client nonce) is answered from here, never counted twice.
        UniqueConstraint("event_id", "nonce", name="uq_checkin_scans_event_nonce"),
        Index("ix_checkin_scans_event_scanned", "event_id", "scanned_at"),
        # The door's live counters count an event's double entries several times a second: a partial index keeps
        # that count off the whole scan log (2.4-4 ms at 50,000 scans, 0.25 ms with it, PostgreSQL 15). Each
        # predicate is written as SQLAlchemy renders `WHERE Scan.double_entry` there, so the planner matches it.
        Index("ix_checkin_scans_doubles", "event_id", sqlite_where=text("double_entry = 1"),
              postgresql_where=text("double_entry")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    point_id: Mapped[int] = mapped_column(ForeignKey("checkin_points.id", ondelete="CASCADE"))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    device_id: Mapped[str] = mapped_column(String(64), default="")
    nonce: Mapped[str | None] = mapped_column(String(64))
    code_prefix: Mapped[str] = mapped_column(String(16), default="")
    code_hash: Mapped[str] = mapped_column(String(64), default="")
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when it happened (device time offline)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    result: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(String(200), default="")
    offline: Mapped[bool] = mapped_column(default=False)
    double_entry: Mapped[bool] = mapped_column(default=False)
    # An offline scan whose device time was outside the sane window, stored clamped into it (checkin.services).
    time_clamped: Mapped[bool] = mapped_column(default=False, server_default=false())
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), index=True)
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id", ondelete="SET NULL"))

    point: Mapped[CheckInPoint] = relationship()
    by: Mapped[User | None] = relationship()
    registration: Mapped[Registration | None] = relationship()
    checkin: Mapped[CheckIn | None] = relationship()
