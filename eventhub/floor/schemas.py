"""Payloads of the /floor namespace and the floor's API models. Strict: a wrong type is refused, never coerced."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from eventhub.core.ids import MAX_ID, Id

Budget = Annotated[int, Field(gt=0, le=4 * 3600)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class JoinIn(_In):
    session_id: Id
    since: Annotated[int, Field(ge=0, le=MAX_ID)] | None = None


class SessionIn(_In):
    """pause, resume, end. `if_current`: the running speech the moderator saw (null: nobody); when given and the
    floor changed meanwhile, the action is refused with `floor_changed`."""

    session_id: Id
    if_current: Id | None = None


class AddSpeakerIn(_In):
    session_id: Id
    kind: Literal["panelist", "moderator", "attendee"]
    panelist_id: Id | None = None
    user_id: Id | None = None
    name: Annotated[str, Field(max_length=1000)] | None = None
    delegation_id: Id | None = None
    budget_seconds: Budget | None = None


class SpeakerIn(_In):
    """remove."""

    speaker_id: Id


class StartIn(_In):
    """start, interject; `if_current` as for SessionIn."""

    speaker_id: Id
    if_current: Id | None = None


class MoveIn(_In):
    speaker_id: Id
    position: Annotated[int, Field(ge=0, lt=10_000)] | None = None
    direction: Literal["up", "down"] | None = None


class UpdateSpeakerIn(_In):
    speaker_id: Id
    delegation_id: Id | None = None
    budget_seconds: Budget | None = None
    video_allowed: bool | None = None


class SettingsIn(_In):
    session_id: Id
    default_budget_seconds: Budget | None = None
    show_timer_on_screen: bool
    hands_open: bool


class DelegationIn(_In):
    session_id: Id
    name: Annotated[str, Field(min_length=1, max_length=200)]
    country: Annotated[str, Field(max_length=2)] = ""
    budget_seconds: Budget | None = None


class HandRaiseIn(_In):
    session_id: Id
    topic: Annotated[str, Field(max_length=1000)] = ""
    in_room: bool = False


class HandIn(_In):
    hand_id: Id


class HandDecideIn(_In):
    hand_id: Id
    accept: bool
    video_allowed: bool = False


class ListenIn(_In):
    """`media`: also the Janus credentials to hear the channel (the stage page asks; the Q&A page does not)."""
    session_id: Id
    language: Annotated[str, Field(max_length=8)] | None = None
    media: bool = False


class ChannelMediaIn(_In):
    """The interpreter's credentials for their channel's AudioBridge room (and the relayed channel's)."""
    session_id: Id


class RelayIn(_In):
    source_channel_id: Id | None = None


# --- API (serialization) ----------------------------------------------------------------------------------------

class SpeechOut(BaseModel):
    id: int
    speaker_id: int | None
    panelist_id: int | None
    name: str
    kind: str
    delegation: str | None
    started_at: str
    ended_at: str | None
    paused_seconds: float
    duration_seconds: float
    budget_seconds: int | None
    overtime_seconds: float
    interjection: bool


class SpeakerTotalOut(BaseModel):
    name: str
    panelist_id: int | None
    kind: str
    delegation: str | None
    speeches: int
    seconds: float
    paused_seconds: float
    overtime_seconds: float


class DelegationTotalOut(BaseModel):
    name: str
    speeches: int
    seconds: float
    country: str | None = None
    budget_seconds: int | None = None


class SessionSpeakingTotals(BaseModel):
    session_id: int
    title: str
    speeches: list[SpeechOut]
    speakers: list[SpeakerTotalOut]
    delegations: list[DelegationTotalOut]
    total_seconds: float


class EventSpeakingTotals(BaseModel):
    event_id: int
    sessions: list[SessionSpeakingTotals]
    speakers: list[SpeakerTotalOut]
    delegations: list[DelegationTotalOut]
    total_seconds: float


MODELS = [SpeechOut, SpeakerTotalOut, DelegationTotalOut, SessionSpeakingTotals, EventSpeakingTotals]
