"""Rapporteurs, session summaries, recommendations, issued report versions and read-only dashboard shares."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.auth.models import User
from eventhub.core.types import UTCDateTime, str_enum, utcnow
from eventhub.extensions import Model


class Domain(enum.StrEnum):
    """The round table's themes (the issue's list); a recommendation belongs to one."""

    INCUBATION = "incubation"
    FIBRE = "fibre"  # optical fibre on the African backbone
    SATELLITE = "satellite"
    TRAINING = "training"
    IMMERSION = "immersion"
    FINANCING = "financing"  # start-up financing
    JOINT_VENTURES = "joint_ventures"
    LOGISTICS = "logistics"  # digital logistics
    CYBERSECURITY = "cybersecurity"


class Actor(enum.StrEnum):
    """Who should act on a recommendation."""

    MALI = "mali"  # institutions of Mali
    ALGERIA = "algeria"  # institutions of Algeria
    OPERATORS = "operators"
    BOTH = "both"  # both governments


class Priority(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class SessionRapporteur(Model):
    __tablename__ = "session_rapporteurs"
    __table_args__ = (UniqueConstraint("session_id", "user_id", name="uq_session_rapporteurs_session_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()


class SessionSummary(Model):
    """The rapporteurs' summary of one session. `version` grows by one per save: a save names the version it
    was based on, and a stale one is refused (optimistic concurrency), never silently overwriting."""

    __tablename__ = "session_summaries"

    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=0)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    updated_by: Mapped[User | None] = relationship()


class Recommendation(Model):
    __tablename__ = "report_recommendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    domain: Mapped[Domain] = mapped_column(str_enum(Domain))
    actor: Mapped[Actor] = mapped_column(str_enum(Actor))
    priority: Mapped[Priority] = mapped_column(str_enum(Priority), default=Priority.MEDIUM)
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReportSettings(Model):
    """What the report says that EventHub does not otherwise know: organizers and partners, as printed."""

    __tablename__ = "report_settings"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    organizers: Mapped[str] = mapped_column(Text, default="")  # one per line
    partners: Mapped[str] = mapped_column(Text, default="")  # one per line
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReportVersion(Model):
    """An issued, frozen edition: its bytes are stored, later data changes never alter them."""

    __tablename__ = "report_versions"
    __table_args__ = (UniqueConstraint("event_id", "number", name="uq_report_versions_event_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    locale: Mapped[str] = mapped_column(String(8))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    checksum: Mapped[str] = mapped_column(String(64))  # sha256 of the report's data, printed on every page
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int] = mapped_column(default=0)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    xlsx: Mapped[bytes] = mapped_column(LargeBinary)

    issued_by: Mapped[User | None] = relationship()


class DashboardShare(Model):
    """A read-only link to the live dashboard (embassy, partner association): signed, revocable."""

    __tablename__ = "dashboard_shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
