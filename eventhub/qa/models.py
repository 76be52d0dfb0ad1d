"""Live Q&A and polls: per-session settings, questions, votes, polls and the broadcast log."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.types import UTCDateTime, str_enum, utcnow
from eventhub.extensions import Model


class Moderation(enum.StrEnum):
    PRE = "pre"  # questions wait for a moderator's approval
    OPEN = "open"  # questions appear at once


class QuestionStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    ANSWERED = "answered"
    ARCHIVED = "archived"


class PollStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class QaSettings(Model):
    """One row per agenda session, created with the session. `seq` numbers the session's broadcasts."""

    __tablename__ = "qa_settings"

    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    moderation: Mapped[Moderation] = mapped_column(str_enum(Moderation), default=Moderation.PRE)
    is_open: Mapped[bool] = mapped_column(default=True)
    anonymous_allowed: Mapped[bool] = mapped_column(default=False)
    short_code: Mapped[str] = mapped_column(String(16), unique=True)  # the join link /q/<short_code>
    seq: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Question(Model):
    __tablename__ = "qa_questions"
    __table_args__ = (Index("ix_qa_questions_session_status", "session_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"))
    # Who asked: exactly one identity; `author_key` is its canonical form ("r:12", "u:3", "a:<random>").
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="SET NULL"),
                                                        index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    participant_key: Mapped[str | None] = mapped_column(String(64))
    author_key: Mapped[str] = mapped_column(String(80), index=True)
    author_name: Mapped[str] = mapped_column(String(200), default="")
    anonymous: Mapped[bool] = mapped_column(default=False)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[QuestionStatus] = mapped_column(str_enum(QuestionStatus), default=QuestionStatus.PENDING)
    pinned: Mapped[bool] = mapped_column(default=False)
    votes: Mapped[int] = mapped_column(default=0)
    addressed_to_id: Mapped[int | None] = mapped_column(ForeignKey("panelists.id", ondelete="SET NULL"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("qa_questions.id", ondelete="SET NULL"))
    reject_reason: Mapped[str] = mapped_column(String(300), default="")
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # set once: the audience has seen it
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Moderators only: a keyed hash of the network address it came from (same label = same address), and whether
    # that address had minted many anonymous participant keys when it was asked (qa.participants).
    source: Mapped[str | None] = mapped_column(String(16))
    busy_source: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def is_public(self) -> bool:
        """The audience sees it (or saw it: an archived question the room saw is sent so clients drop it)."""
        return self.approved_at is not None and self.status != QuestionStatus.REJECTED


class Vote(Model):
    """An upvote; the unique constraint makes "once per person" hold under racing requests."""

    __tablename__ = "qa_votes"
    __table_args__ = (UniqueConstraint("question_id", "voter_key", name="uq_qa_votes_question_voter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("qa_questions.id", ondelete="CASCADE"))
    voter_key: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Poll(Model):
    __tablename__ = "qa_polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(300))
    multiple: Mapped[bool] = mapped_column(default=False)
    status: Mapped[PollStatus] = mapped_column(str_enum(PollStatus), default=PollStatus.DRAFT)
    results_visible: Mapped[bool] = mapped_column(default=False)
    voters: Mapped[int] = mapped_column(default=0)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    options: Mapped[list[PollOption]] = relationship(
        back_populates="poll", cascade="all, delete-orphan", order_by="PollOption.position")


class PollOption(Model):
    __tablename__ = "qa_poll_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("qa_polls.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    votes: Mapped[int] = mapped_column(default=0)

    poll: Mapped[Poll] = relationship(back_populates="options")


class PollVote(Model):
    __tablename__ = "qa_poll_votes"
    __table_args__ = (UniqueConstraint("poll_id", "voter_key", name="uq_qa_poll_votes_poll_voter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("qa_polls.id", ondelete="CASCADE"))
    voter_key: Mapped[str] = mapped_column(String(80))
    option_ids: Mapped[str] = mapped_column(String(200))  # comma-separated, for "what did I vote"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QaBroadcast(Model):
    """What was broadcast, by sequence number, so a client reconnecting with `since` gets exactly what it missed.

    `audience`: "public" (everyone in the session), or "private" (moderators, and the author named by
    `author_key`). `payload` holds the moderators' view; the public view is derived from it when sent.
    """

    __tablename__ = "qa_broadcasts"
    __table_args__ = (UniqueConstraint("session_id", "seq", name="uq_qa_broadcasts_session_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_sessions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column()
    audience: Mapped[str] = mapped_column(String(10))
    author_key: Mapped[str | None] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
