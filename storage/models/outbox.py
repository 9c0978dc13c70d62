"""The durable outbox: every message that is not a direct reply is a row here first."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.models._types import json_column, utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender; a stale claim is retried after a crash
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"  # blocked the bot / never started it
    SKIPPED = "skipped"  # too late to be useful (e.g. yesterday's daily item), or cancelled
    CANCELLED = "cancelled"
    RESENT = "resent"  # failed or skipped, then queued again under a new key (a broadcast's "send again")


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    # ix_outbox_lane: the sender claims per bot (channel, bot), see bot.channels.sender's lanes.
    __table_args__ = (Index("ix_outbox_due", "status", "due_at"),
                      Index("ix_outbox_lane", "channel", "bot", "status", "due_at"))

    id: int | None = Field(default=None, primary_key=True)
    # Unique key, e.g. "daily:42:2026-11-25" or "broadcast:7:42": a restart never double-enqueues.
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=40, index=True)
    ref: str | None = Field(default=None, max_length=100, index=True)  # grouping, e.g. "broadcast:7"
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    identity_id: int | None = Field(default=None, foreign_key="identity.id")
    branch_id: int | None = Field(default=None, foreign_key="branch.id")
    channel: str = Field(max_length=20)
    chat_id: str = Field(max_length=64)
    bot: str = Field(default="", max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    status: str = Field(default=OutboxStatus.PENDING, max_length=20)
    priority: int = 0  # lower goes first: 0 interactive notices, 5 broadcasts, 9 bulk daily items
    due_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=64)
    sent_at: datetime | None = None
    sent_message_ids: list[str] | None = Field(default=None, sa_column=json_column())
