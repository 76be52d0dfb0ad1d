"""Registrations and their tickets."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, text
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.text import EMAIL_MAX
from eventhub.core.types import UTCDateTime, str_enum, utcnow
from eventhub.events.models import Event
from eventhub.extensions import Model

NAME_MAX = 200  # a person's name
TEXT_MAX = 200  # organization, job title

class AttendanceMode(enum.StrEnum):
    IN_PERSON = "in_person"
    REMOTE = "remote"


class RegistrationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Registration(Model):
    __tablename__ = "registrations"
    __table_args__ = (
        # One live registration per email and event; a cancelled one does not block registering again.
        Index(
            "uq_registrations_event_email_live",
            "event_id",
            "email_normalized",
            unique=True,
            sqlite_where=text("status != 'cancelled'"),
            postgresql_where=text("status != 'cancelled'"),
        ),
        Index("ix_registrations_event_status_mode", "event_id", "status", "mode"),
        # Name/email/organization search, case and accents folded (eventhub.core.search.fold), kept by the service.
        # PostgreSQL: a trigram GIN index serves LIKE '%…%'; SQLite: a plain index (a scan of one column).
        Index("ix_registrations_search_text", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    email_normalized: Mapped[str] = mapped_column(String(EMAIL_MAX))
    search_text: Mapped[str] = mapped_column(String(700), default="", server_default="")
    organization: Mapped[str] = mapped_column(String(TEXT_MAX), default="")
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    job_title: Mapped[str] = mapped_column(String(TEXT_MAX), default="")
    mode: Mapped[AttendanceMode] = mapped_column(str_enum(AttendanceMode))
    status: Mapped[RegistrationStatus] = mapped_column(str_enum(RegistrationStatus))
    locale: Mapped[str] = mapped_column(String(8), default="fr")  # language for emails to this person
    source: Mapped[str] = mapped_column(String(20), default="web")  # web, api, organizer
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Government, operator, start-up… (see registration.forms.ORG_TYPE_CHOICES); "" when not given.
    organization_type: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # False: the person asked not to be named in the final report's list of participants (counted only).
    listed: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Place in the event's line (from Event.waitlist_last, under the seat claim's lock): the waitlist's order.
    waitlist_seq: Mapped[int | None] = mapped_column()

    event: Mapped[Event] = relationship()
    tickets: Mapped[list[Ticket]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="Ticket.id"
    )

    @property
    def ticket(self) -> Ticket | None:
        """The ticket in force (older ones stay, revoked, so the door can name them)."""
        live = [t for t in self.tickets if t.revoked_at is None]
        return live[-1] if live else None


class Ticket(Model):
    """The secret behind a QR code. Revoking keeps the row so the door can name a revoked ticket."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    secret: Mapped[bytes] = mapped_column(LargeBinary(16), unique=True)
    code: Mapped[str] = mapped_column(String(200))  # the signed, encoded payload (what the QR holds)
    # 8 characters door staff can type when a screen is cracked (eventhub.tickets.codes.BACKUP_ALPHABET).
    backup_code: Mapped[str | None] = mapped_column(String(8), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(200))

    registration: Mapped[Registration] = relationship(back_populates="tickets")
