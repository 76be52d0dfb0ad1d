"""Payloads of the /stage namespace. Strict: a wrong type is refused, never coerced."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from eventhub.core.ids import Id

Token = Annotated[str, Field(min_length=1, max_length=64)]
Figure = Annotated[float, Field(ge=0, le=1e7)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class JoinIn(_In):
    session_id: Id
    since: Annotated[int, Field(ge=0)] | None = None
    # Which of the connection's identities to use: a stage manager may also run the room feed page.
    role: Literal["manager", "panelist", "room_feed", "screen", "attendee", "interpreter"] | None = None


class CredentialsIn(_In):
    session_id: Id
    publish: bool = False
    role: Literal["manager", "panelist", "room_feed", "screen", "attendee", "interpreter"] | None = None


class SessionIn(_In):
    session_id: Id


class TokenIn(_In):
    session_id: Id
    token: Token


class QualityIn(_In):
    bitrate_kbps: Figure | None = None
    loss_pct: Annotated[float, Field(ge=0, le=100)] | None = None
    rtt_ms: Figure | None = None
    weak: bool = False
    layer: Literal["high", "medium", "low", "audio"] | None = None


class ReportIn(_In):
    session_id: Id
    token: Token
    connection: Literal["joining", "joined", "reconnecting", "offline", "failed"]
    quality: QualityIn = QualityIn()


class SelfMuteIn(_In):
    session_id: Id
    token: Token
    muted: bool


StageAction = Literal["open", "go_live", "end", "show_question", "hide_question"]
PersonAction = Literal["bring_live", "send_backstage", "mute", "unmute", "remove", "spotlight", "allow_screen",
                       "deny_screen"]


class ManageIn(_In):
    session_id: Id
    action: Literal["open", "go_live", "end", "show_question", "hide_question", "bring_live", "send_backstage",
                    "mute", "unmute", "remove", "spotlight", "unspotlight", "allow_screen", "deny_screen"]
    participant_id: Id | None = None
