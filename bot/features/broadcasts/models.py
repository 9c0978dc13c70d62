"""Secretaries' tools: branch settings, broadcasts and acknowledgements, meetings, RSVPs and attendance."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models._types import json_column, utcnow


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class Broadcast(SQLModel, table=True):
    __tablename__ = "broadcast"

    id: int | None = Field(default=None, primary_key=True)
    author_person_id: int = Field(foreign_key="person.id", index=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    branch_id: int | None = Field(default=None, foreign_key="branch.id", index=True)  # None: whole đảng bộ
    scope: str = Field(default="branch", max_length=20)  # branch | org_members | org_secretaries
    text: str = Field(default="")
    media: dict[str, Any] | None = Field(default=None, sa_column=json_column())  # MediaRef dict (media_key)
    audience: str = Field(default="all", max_length=40)
    person_ids: list[int] | None = Field(default=None, sa_column=json_column())  # the hand-picked list
    ack_requested: bool = False
    scheduled_at: datetime | None = None
    status: str = Field(default=BroadcastStatus.DRAFT, max_length=20, index=True)
    total: int = 0  # rows queued
    no_account: int = 0  # recipients with no reachable account when it was queued
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # Where progress goes: the secretary's chat and, on channels that edit, the message updated in place.
    progress_channel: str = Field(default="", max_length=20)
    progress_chat_id: str = Field(default="", max_length=64)
    progress_bot: str = Field(default="", max_length=64)
    progress_message_id: str | None = Field(default=None, max_length=64)
    progress_can_edit: bool = True
    progress_seq: int = 0
    progress_state: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    nudged_at: datetime | None = None


class BroadcastAck(SQLModel, table=True):
    __tablename__ = "broadcast_ack"
    __table_args__ = (UniqueConstraint("broadcast_id", "person_id", name="uq_broadcast_ack"),)

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcast.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    at: datetime = Field(default_factory=utcnow)
