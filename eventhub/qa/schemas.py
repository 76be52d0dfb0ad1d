"""Payloads of the /qa namespace (docs/qa-protocol.md). Strict: a wrong type is refused, never coerced."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from eventhub.core.ids import Id

# Generous transport caps; the services apply the real limits with clear messages.
Text = Annotated[str, Field(max_length=5000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class JoinIn(_In):
    session_id: Id
    since: Annotated[int, Field(ge=0)] | None = None


class AskIn(_In):
    session_id: Id
    text: Text
    anonymous: bool = False


class VoteIn(_In):
    question_id: Id
    up: bool


class ModerateIn(_In):
    question_id: Id
    action: Literal["approve", "reject", "pin", "unpin", "answer", "archive", "edit", "merge", "address"]
    reason: Annotated[str, Field(max_length=1000)] | None = None
    text: Text | None = None
    into_id: Id | None = None
    panelist_id: Id | None = None


class SettingsIn(_In):
    session_id: Id
    moderation: Literal["pre", "open"]
    open: bool
    anonymous_allowed: bool


class PollCreateIn(_In):
    action: Literal["create"]
    session_id: Id
    question: Annotated[str, Field(max_length=1000)]
    options: Annotated[list[Annotated[str, Field(max_length=1000)]], Field(min_length=2, max_length=10)]
    multiple: bool = False


class PollStateIn(_In):
    action: Literal["open", "close", "show_results", "hide_results"]
    poll_id: Id


class PollIn(RootModel[Annotated[PollCreateIn | PollStateIn, Field(discriminator="action")]]):
    """`{"action": "create", …}` or `{"action": "open"|"close"|"show_results"|"hide_results", "poll_id"}`."""


class PollVoteIn(_In):
    poll_id: Id
    option_ids: Annotated[list[Id], Field(min_length=1, max_length=10)]
