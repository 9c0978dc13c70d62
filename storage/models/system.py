"""Conversation state, audit log, processed updates and tick bookkeeping."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from storage.models._types import json_column, utcnow


class ConversationState(SQLModel, table=True):
    """Form state per (channel, bot, chat, user), so a restart mid-form loses nothing."""

    __tablename__ = "conversation_state"

    key: str = Field(primary_key=True, max_length=200)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_person_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=60, index=True)
    org_id: int | None = None
    branch_id: int | None = None
    target: str | None = Field(default=None, max_length=200)
    details: dict[str, Any] | None = Field(default=None, sa_column=json_column())


class ProcessedUpdate(SQLModel, table=True):
    """Drops a repeated platform update (Telegram resends after timeouts)."""

    __tablename__ = "processed_update"

    channel: str = Field(primary_key=True, max_length=40)
    update_id: str = Field(primary_key=True, max_length=80)
    at: datetime = Field(default_factory=utcnow, index=True)


class TickRun(SQLModel, table=True):
    """Last time each scheduler tick ran, so a tick catches up after downtime."""

    __tablename__ = "tick_run"

    name: str = Field(primary_key=True, max_length=60)
    last_run_at: datetime
