"""The durable outbox: every message that is not a direct reply is a row here first."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, text
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


# Final states whose payload nobody reads again: the retention purge empties it (bot/services/outbox_purge.py).
# Cancelled and resent rows are left alone (few, and cancelled ones may be looked at by their feature).
PURGEABLE = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.SKIPPED, OutboxStatus.UNREACHABLE)
# Bulk kinds (one row per member per day): their payload goes a day after they are final, not at retention.
BULK_KINDS = ("daily", "daily_group")
_FINAL_SQL = "status IN (" + ", ".join(f"'{s.value}'" for s in PURGEABLE) + ") AND purged_at IS NULL"
_BULK_SQL = "kind IN (" + ", ".join(f"'{k}'" for k in BULK_KINDS) + ")"
# Partial indexes: the purge's work queue. Pending rows are in neither (no cost on enqueue); a row enters one
# when it becomes final and leaves it when purged, so a purge tick only reads the rows it will change.
PURGE_WHERE = text(f"{_FINAL_SQL} AND NOT ({_BULK_SQL})")
PURGE_BULK_WHERE = text(f"{_FINAL_SQL} AND {_BULK_SQL}")


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "due_at"),
        Index("ix_outbox_purge", "due_at", postgresql_where=PURGE_WHERE, sqlite_where=PURGE_WHERE),
        Index("ix_outbox_purge_bulk", "due_at", postgresql_where=PURGE_BULK_WHERE, sqlite_where=PURGE_BULK_WHERE),
        # The sender claims per bot (channel, bot), see bot.channels.sender's lanes.
        Index("ix_outbox_lane", "channel", "bot", "status", "due_at"),
    )

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
    # When the retention purge emptied ``payload`` (the row itself stays: its key, status and times).
    purged_at: datetime | None = None
