"""Payloads of the check-in endpoints (page JSON, API, socket), validated before any service call."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from eventhub.core.ids import Id
from eventhub.registration.models import AttendanceMode, RegistrationStatus
from eventhub.tickets.codes import MAX_CODE_INPUT

ResultCode = Literal["admitted", "admitted_upgrade", "already_checked_in", "unreadable", "forged", "revoked",
                     "waitlisted", "wrong_event", "remote_only", "not_entered"]
# A database id: positive and within the 32-bit INTEGER column (a larger one is a 422, not a driver error).


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ScanIn(Strict):
    # Longer input is garbage; it is still logged (as a prefix and a hash) and answered `unreadable`.
    code: str = Field(max_length=20_000, description="What the QR code or the handheld scanner gave.")
    point_id: Id
    nonce: str | None = Field(None, max_length=64, description="Client id of this scan; a retry with the same "
                                                               "nonce is answered from the log.")
    device_id: str = Field("", max_length=64)


class OfflineScanIn(Strict):
    code: str = Field(max_length=MAX_CODE_INPUT * 2)
    nonce: str = Field(min_length=1, max_length=64)
    at: AwareDatetime = Field(description="When the scan happened, device clock, ISO 8601 with offset.")
    point_id: Id
    device_id: str = Field("", max_length=64)
    local_result: ResultCode | None = Field(None, description="What the device showed while offline.")


class SyncIn(Strict):
    scans: list[OfflineScanIn] = Field(max_length=500)


class RegistrationCheckInIn(Strict):
    point_id: Id
    nonce: str | None = Field(None, max_length=64)


class SocketScanIn(ScanIn):
    event_id: Id


class SocketJoinIn(Strict):
    event_id: Id


class Attendee(BaseModel):
    registration_id: int
    name: str
    organization: str
    mode: AttendanceMode
    status: RegistrationStatus


class FirstCheckIn(BaseModel):
    checkin_id: int
    at: str = Field(description="ISO 8601 (UTC) time of the first check-in")
    point_id: int
    point: str
    by: str
    offline: bool


class ScanResultOut(BaseModel):
    result: ResultCode
    color: Literal["green", "amber", "red"]
    detail: str
    message: str
    scan_id: int | None
    replayed: bool
    double_entry: bool
    time_clamped: bool = Field(False, description="An offline scan's device time was outside the sane window.")
    attendee: Attendee | None
    first: FirstCheckIn | None
    checkin_id: int | None = None


class SyncItemOut(BaseModel):
    """One uploaded scan: its result as a live scan answers it (`ok`), or the error that refused the item."""

    index: int
    nonce: str
    ok: bool
    result: ResultCode | None = None
    color: Literal["green", "amber", "red"] | None = None
    detail: str | None = None
    message: str | None = None
    scan_id: int | None = None
    replayed: bool | None = None
    double_entry: bool | None = None
    time_clamped: bool | None = None
    attendee: Attendee | None = None
    first: FirstCheckIn | None = None
    checkin_id: int | None = None
    error: dict | None = None


class SyncOut(BaseModel):
    results: list[SyncItemOut]


class ScanLogItem(BaseModel):
    id: int
    scanned_at: str
    received_at: str
    point_id: int
    point: str
    by: str
    device_id: str
    result: ResultCode
    detail: str
    offline: bool
    double_entry: bool
    registration_id: int | None
    name: str
    code_prefix: str
    nonce: str | None
    checkin_id: int | None
    undone: bool


class ScanLogPage(BaseModel):
    items: list[ScanLogItem]
    limit: int
    offset: int
