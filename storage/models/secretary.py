"""Secretaries' tools: branch settings, broadcasts and acknowledgements, meetings, RSVPs and attendance."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models._types import json_column, utcnow


class BranchSettings(SQLModel, table=True):
    """Per-branch calendar settings (/caidat_chibo). A branch without a row uses the defaults below."""

    __tablename__ = "branch_settings"

    branch_id: int = Field(foreign_key="branch.id", primary_key=True)
    meeting_day: int = 5  # day of month of the regular (định kỳ) meeting
    meeting_time: str = Field(default="19:30", max_length=5)
    thematic_months: list[int] = Field(
        default_factory=lambda: [3, 6, 9, 12], sa_column=json_column(nullable=False)
    )
    quiet_start: str = Field(default="21:00", max_length=5)
    quiet_end: str = Field(default="07:00", max_length=5)
    reminder_time: str = Field(default="08:00", max_length=5)
    updated_at: datetime = Field(default_factory=utcnow)


class OrgThresholds(SQLModel, table=True):
    """When the committee view flags a branch as lagging (configurable per đảng bộ)."""

    __tablename__ = "org_thresholds"

    org_id: int = Field(foreign_key="organization.id", primary_key=True)
    min_attendance_pct: int = 80
    require_thematic_quarter: bool = True
    require_deeds_month: bool = True
    updated_at: datetime = Field(default_factory=utcnow)


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


class MeetingKind(StrEnum):
    REGULAR = "regular"  # sinh hoạt định kỳ
    THEMATIC = "thematic"  # sinh hoạt chuyên đề


class Meeting(SQLModel, table=True):
    __tablename__ = "meeting"

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    kind: str = Field(default=MeetingKind.REGULAR, max_length=20)
    starts_at: datetime = Field(index=True)
    place: str = Field(default="", max_length=300)
    topic: str = Field(default="", max_length=500)
    documents: list[dict[str, Any]] | None = Field(default=None, sa_column=json_column())  # MediaRef dicts
    checkin_code: str = Field(default="", max_length=8)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    notice_sent_at: datetime | None = None
    cancelled_at: datetime | None = None


class MeetingRsvp(SQLModel, table=True):
    __tablename__ = "meeting_rsvp"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id", name="uq_meeting_rsvp"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    attending: bool = True
    reason: str | None = Field(default=None, max_length=500)
    at: datetime = Field(default_factory=utcnow)


class Attendance(SQLModel, table=True):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id", name="uq_attendance"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    present: bool = True
    source: str = Field(default="secretary", max_length=20)  # secretary | code
    at: datetime = Field(default_factory=utcnow)
