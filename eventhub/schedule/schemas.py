"""JSON bodies of the schedule API (their JSON Schemas go into the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from eventhub.events.models import EventLanguage
from eventhub.schedule.common import DESCRIPTION_MAX, ROOM_NAME_MAX, TITLE_MAX, URL_MAX
from eventhub.schedule.models import ParticipationMode, SessionKind


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class RoomOut(BaseModel):
    id: int
    event_id: int
    name: str
    capacity: int | None
    has_stream: bool


class RoomIn(Strict):
    name: str = Field(min_length=1, max_length=ROOM_NAME_MAX)
    capacity: int | None = Field(None, ge=0, le=1_000_000)
    has_stream: bool = False


class RoomPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=ROOM_NAME_MAX)
    capacity: int | None = Field(None, ge=0, le=1_000_000)
    has_stream: bool | None = None


class RoomList(BaseModel):
    items: list[RoomOut]


class SessionPanelistOut(BaseModel):
    panelist_id: int
    name: str
    title: str
    organization: str
    country: str
    mode: ParticipationMode
    timezone: str


class SessionPanelistIn(Strict):
    panelist_id: int
    mode: ParticipationMode | None = Field(None, description="Empty: the panelist's own mode.")


class AgendaSessionOut(BaseModel):
    id: int
    event_id: int
    title: str
    description: str
    kind: SessionKind
    room_id: int | None
    starts_at: datetime = Field(description="ISO 8601 with the event's UTC offset")
    ends_at: datetime
    languages: list[str]
    livestream_url: str
    status: Literal["draft", "published", "changed", "cancelled"]
    changed_at: datetime | None
    panelists: list[SessionPanelistOut]
    moderator_ids: list[int]
    url: str | None


class AgendaSessionIn(Strict):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    room_id: int | None = None
    kind: SessionKind = SessionKind.PANEL
    description: str = Field("", max_length=DESCRIPTION_MAX)
    languages: list[EventLanguage] = Field(default_factory=lambda: ["fr"], min_length=1)  # type: ignore[arg-type]
    meeting_url: str = Field("", max_length=URL_MAX)
    livestream_url: str = Field("", max_length=URL_MAX)
    panelists: list[SessionPanelistIn] = Field(default_factory=list)
    moderator_ids: list[int] = Field(default_factory=list)


class AgendaSessionPatch(Strict):
    title: str | None = Field(None, min_length=1, max_length=TITLE_MAX)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    room_id: int | None = None
    kind: SessionKind | None = None
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    languages: list[EventLanguage] | None = Field(None, min_length=1)
    meeting_url: str | None = Field(None, max_length=URL_MAX)
    livestream_url: str | None = Field(None, max_length=URL_MAX)
    panelists: list[SessionPanelistIn] | None = None
    moderator_ids: list[int] | None = None
    cancelled: Literal[True] | None = Field(None, description="true cancels the session (cannot be undone)")


class MoveIn(BaseModel):
    """The organizer grid's drag-to-move and resize (not part of the public API)."""

    model_config = ConfigDict(extra="forbid")
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    room_id: int | None = None


class AgendaSessionList(BaseModel):
    items: list[AgendaSessionOut]
    published: bool


MODELS = [RoomOut, RoomIn, RoomPatch, RoomList, SessionPanelistOut, SessionPanelistIn, AgendaSessionOut,
          AgendaSessionIn, AgendaSessionPatch, AgendaSessionList]
