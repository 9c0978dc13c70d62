"""Secretaries' tools: branch settings, broadcasts and acknowledgements, meetings, RSVPs and attendance."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models._types import json_column, utcnow


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
    # Wrong codes typed by anyone for this meeting; at the limit the code is turned off (see attendance.py).
    checkin_failures: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    checkin_disabled_at: datetime | None = None
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    notice_sent_at: datetime | None = None
    cancelled_at: datetime | None = None
    # A move (scheduling.py): the start before the last move, and how many times it moved. The count is part
    # of the outbox keys of the notices and reminders, so the new time gets its own once-only messages.
    moved_from: datetime | None = None
    moves: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class MeetingRsvp(SQLModel, table=True):
    __tablename__ = "meeting_rsvp"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id", name="uq_meeting_rsvp"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    attending: bool = True
    reason: str | None = Field(default=None, max_length=500)
    at: datetime = Field(default_factory=utcnow)


class AttendanceStatus(StrEnum):
    PRESENT = "present"  # có mặt
    EXCUSED = "excused"  # vắng có lý do
    ABSENT = "absent"  # vắng không lý do


class Attendance(SQLModel, table=True):
    """One member at one meeting. ``present`` always equals ``status == "present"`` (older readers use it)."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id", name="uq_attendance"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    present: bool = True
    status: str = Field(default=AttendanceStatus.PRESENT.value, max_length=10,
                        sa_column_kwargs={"server_default": "present"})
    reason: str | None = Field(default=None, max_length=500)  # why an excused member was away
    source: str = Field(default="secretary", max_length=20)  # secretary | code
    at: datetime = Field(default_factory=utcnow)


class CheckinAttempt(SQLModel, table=True):
    """Wrong check-in codes one person typed for one meeting: shared by every worker and kept over restarts,
    so the code cannot be guessed by trying again elsewhere. Keyed by the person (all their linked
    Telegram and Zalo accounts together), counted with one guarded UPDATE (attendance.py)."""

    __tablename__ = "meeting_checkin_attempt"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id", name="uq_meeting_checkin_attempt"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    failures: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class MeetingMinutes(SQLModel, table=True):
    """The secretary's draft of a meeting's minutes (biên bản): what the bot cannot know, saved field by field
    as it is typed, so a half-done draft survives a restart or a detour. The rest (date, place, agenda,
    documents, attendance, votes) is read from the meeting when the minutes are shown or exported."""

    __tablename__ = "meeting_minutes"
    __table_args__ = (UniqueConstraint("meeting_id", name="uq_meeting_minutes"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    chair_id: int | None = Field(default=None, foreign_key="person.id")  # chủ trì
    recorder_id: int | None = Field(default=None, foreign_key="person.id")  # thư ký (who takes the minutes)
    guests: str = Field(default="", max_length=1000)
    discussion: str = Field(default="", max_length=8000)
    conclusions: str = Field(default="", max_length=8000)
    closing_time: str = Field(default="", max_length=5)  # "21:15", local, as shown
    updated_by: int | None = Field(default=None, foreign_key="person.id")
    updated_at: datetime = Field(default_factory=utcnow)
    exported_at: datetime | None = None


class MinutesTask(SQLModel, table=True):
    """A task assigned in a meeting's minutes (phân công nhiệm vụ): reminded to its owner before and on its
    deadline, and shown again at the branch's next meeting while it is open ("việc cần kiểm tra")."""

    __tablename__ = "minutes_task"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    text: str = Field(max_length=1000)
    owner_id: int = Field(foreign_key="person.id", index=True)
    due: date = Field(index=True)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None
    done_by: int | None = Field(default=None, foreign_key="person.id")
