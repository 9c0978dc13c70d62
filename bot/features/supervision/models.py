"""Supervision visits (kiểm tra, giám sát): a visit to a branch, its checklist and findings, the tasks to fix.

No column names a person: the team is typed as text by the committee, and who planned or closed what is
kept in the audit log, so erasing a member never touches a visit's record."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from storage.models._types import utcnow


class VisitStatus(StrEnum):
    PLANNED = "planned"  # the secretary was told; findings may be recorded
    CONCLUDED = "concluded"  # conclusions and tasks sent to the branch


class TaskStatus(StrEnum):
    OPEN = "open"
    REPORTED = "reported"  # the secretary reported it fixed, the committee has not closed it yet
    CLOSED = "closed"


class SupervisionVisit(SQLModel, table=True):
    __tablename__ = "supervision_visit"

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    planned_on: date
    team: str = Field(default="", max_length=500)
    status: str = Field(default=VisitStatus.PLANNED, max_length=20)
    conclusions: str | None = Field(default=None, max_length=3000)
    created_at: datetime = Field(default_factory=utcnow)
    concluded_at: datetime | None = None


class SupervisionItem(SQLModel, table=True):
    """One checklist item of a visit, with its finding once recorded."""

    __tablename__ = "supervision_item"

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="supervision_visit.id", index=True)
    position: int = 0
    title: str = Field(max_length=300)
    code: str | None = Field(default=None, max_length=20)  # a default item the bot can pre-fill
    prefill: str | None = Field(default=None, max_length=500)  # what the bot knew when recording began
    passed: bool | None = None  # None: not recorded yet
    comment: str | None = Field(default=None, max_length=1000)
    evidence_text: str | None = Field(default=None, max_length=1000)
    evidence_media_key: str | None = Field(default=None, max_length=100)
    recorded_at: datetime | None = None


class SupervisionTask(SQLModel, table=True):
    """A task to fix, given to the branch with the conclusions."""

    __tablename__ = "supervision_task"

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="supervision_visit.id", index=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    text: str = Field(max_length=1000)
    due_on: date = Field(index=True)
    status: str = Field(default=TaskStatus.OPEN, max_length=20)
    report_text: str | None = Field(default=None, max_length=1000)
    report_media_key: str | None = Field(default=None, max_length=100)
    reported_at: datetime | None = None
    closed_at: datetime | None = None
