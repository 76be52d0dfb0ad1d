"""Request and response bodies of the JSON API; their JSON Schemas go into the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from eventhub.core.apidoc import ErrorBody as ErrorBody
from eventhub.core.apidoc import ErrorDetail as ErrorDetail

# The error envelope is core's (every JSON answer shares it); re-exported for the API's readers.
from eventhub.core.text import EMAIL_MAX
from eventhub.events.models import DESCRIPTION_MAX, PLACE_MAX, TITLE_MAX, ZONE_MAX, EventLanguage, EventStatus
from eventhub.registration.models import NAME_MAX, TEXT_MAX, AttendanceMode, RegistrationStatus


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class EventOut(BaseModel):
    id: int
    slug: str
    title: str
    description: str
    venue: str
    room: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    capacity: int
    seats_left: int
    remote_enabled: bool
    remote_capacity: int | None
    languages: list[str]
    status: EventStatus
    url: str


class EventList(BaseModel):
    items: list[EventOut]


class EventPatch(Strict):
    title: str | None = Field(None, max_length=TITLE_MAX)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    venue: str | None = Field(None, max_length=PLACE_MAX)
    room: str | None = Field(None, max_length=PLACE_MAX)
    timezone: str | None = Field(None, max_length=ZONE_MAX)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    registration_opens_at: AwareDatetime | None = None
    registration_closes_at: AwareDatetime | None = None
    capacity: int | None = Field(None, ge=0, le=1_000_000)
    remote_enabled: bool | None = None
    remote_capacity: int | None = Field(None, ge=0, le=1_000_000)
    languages: list[EventLanguage] | None = Field(None, min_length=1)


class RegistrationIn(Strict):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    email: str = Field(min_length=3, max_length=EMAIL_MAX)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    mode: AttendanceMode
    organization: str = Field("", max_length=TEXT_MAX)
    job_title: str = Field("", max_length=TEXT_MAX)
    consent: bool = Field(False, description="Must be true for public (token-less) registrations.")
    locale: Literal["fr", "en", "ar"] = "fr"


class TicketOut(BaseModel):
    code: str = Field(description="What the QR code holds: a versioned, Ed25519-signed payload.")
    url: str
    png_url: str
    issued_at: datetime
    revoked: bool


class RegistrationOut(BaseModel):
    id: int
    event_id: int
    name: str
    email: str
    organization: str
    job_title: str
    country: str
    mode: AttendanceMode
    status: RegistrationStatus
    waitlist_position: int | None
    created_at: datetime
    ticket: TicketOut | None


class RegistrationPage(BaseModel):
    items: list[RegistrationOut]
    total: int
    limit: int
    offset: int


class TicketStatus(BaseModel):
    event_id: int
    status: RegistrationStatus
    mode: AttendanceMode
    revoked: bool
    name: str


class PublicKey(BaseModel):
    event_id: int
    algorithm: Literal["Ed25519"]
    public_key: str = Field(description="Raw 32-byte key, base64url without padding.")
    code_version: int
