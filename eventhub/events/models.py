"""Events."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eventhub.core.types import UTCDateTime, str_enum, utcnow
from eventhub.extensions import Model

# The languages an event (and its sessions) may be held in: the type pydantic schemas use, and its values.
EventLanguage = Literal["fr", "en", "ar"]
EVENT_LANGUAGES: tuple[str, ...] = get_args(EventLanguage)
# What an event may set as its pages' default language: a language, or a language with the region its dates
# and numbers follow (Algeria, Mali).
EVENT_DEFAULT_LOCALES = ("fr", "fr_ML", "fr_DZ", "ar", "ar_DZ", "en")
TITLE_MAX = 200
PLACE_MAX = 200  # venue and room
DESCRIPTION_MAX = 20_000
ZONE_MAX = 64  # an IANA zone name (events and panelists)


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Event(Model):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
        # The counters are kept by the registration service with conditional updates, so the
        # database itself refuses an overbooking even if a bug slipped past the service.
        CheckConstraint("confirmed_in_person <= capacity", name="in_person_within_capacity"),
        CheckConstraint(
            "remote_capacity IS NULL OR confirmed_remote <= remote_capacity", name="remote_within_capacity"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    venue: Mapped[str] = mapped_column(String(PLACE_MAX), default="")
    room: Mapped[str] = mapped_column(String(PLACE_MAX), default="")
    timezone: Mapped[str] = mapped_column(String(ZONE_MAX))  # always set by the services (DEFAULT_TIMEZONE)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(default=100)
    remote_enabled: Mapped[bool] = mapped_column(default=True)
    remote_capacity: Mapped[int | None] = mapped_column()
    languages: Mapped[str] = mapped_column(String(50), default="fr")  # comma-separated codes
    # The language its pages open in for a visitor who chose none (one of EVENT_DEFAULT_LOCALES); None: the
    # browser's preference.
    default_locale: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[EventStatus] = mapped_column(
        str_enum(EventStatus), default=EventStatus.DRAFT,
    )
    confirmed_in_person: Mapped[int] = mapped_column(default=0)
    confirmed_remote: Mapped[int] = mapped_column(default=0)
    # Who waits, per mode, and the last place in line handed out: kept by the registration service in the same
    # locked UPDATE as the seat claim, so a newcomer's position is read off the row (eventhub/registration/seats.py).
    waitlisted_in_person: Mapped[int] = mapped_column(default=0, server_default="0")
    waitlisted_remote: Mapped[int] = mapped_column(default=0, server_default="0")
    waitlist_last: Mapped[int] = mapped_column(default=0, server_default="0")
    # Ed25519 private key (raw 32 bytes) that signs this event's tickets; scanners get the public key only.
    signing_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def language_list(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.confirmed_in_person)

    def registration_open_at(self, now: datetime) -> bool:
        if self.status != EventStatus.PUBLISHED:
            return False
        if self.registration_opens_at and now < self.registration_opens_at:
            return False
        closes = self.registration_closes_at or self.ends_at
        return now < closes
