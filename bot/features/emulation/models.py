"""Emulation projects (công trình, phần việc thi đua): a committee's call, the projects registered under it
and their milestones with evidence."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models._types import json_column, utcnow


class ProjectStatus(StrEnum):
    REGISTERED = "registered"  # đang thực hiện
    PASSED = "passed"  # đạt
    FAILED = "failed"  # không đạt


class MilestoneStatus(StrEnum):
    PLANNED = "planned"  # chưa báo cáo
    REPORTED = "reported"  # chờ bí thư xác nhận
    CONFIRMED = "confirmed"  # bí thư đã xác nhận


class EmulationCall(SQLModel, table=True):
    """One call (đợt đăng ký) opened by a đảng bộ's committee."""

    __tablename__ = "emulation_call"

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    title: str = Field(max_length=200)
    criteria: str = Field(default="", max_length=2000)
    deadline: date  # the last local day a project may be registered
    categories: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    opened_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)


class EmulationProject(SQLModel, table=True):
    __tablename__ = "emulation_project"
    __table_args__ = (UniqueConstraint("call_id", "branch_id", "name_key", name="uq_emulation_project_name"),)

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="emulation_call.id", index=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    owner_id: int = Field(foreign_key="person.id", index=True)
    by_branch: bool = False  # registered by the secretary for the branch; else a group of members
    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200)  # the folded name: the same project is not registered twice
    category: str = Field(max_length=100)
    goal: str = Field(default="", max_length=1000)
    criteria: str = Field(default="", max_length=1000)
    status: str = Field(default=ProjectStatus.REGISTERED, max_length=20)
    appraisal: str | None = Field(default=None, max_length=1000)
    appraised_by: int | None = Field(default=None, foreign_key="person.id")
    appraised_at: datetime | None = None
    commended: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class EmulationMilestone(SQLModel, table=True):
    __tablename__ = "emulation_milestone"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="emulation_project.id", index=True)
    position: int = 0
    title: str = Field(max_length=300)
    due: date = Field(index=True)
    status: str = Field(default=MilestoneStatus.PLANNED, max_length=20)
    evidence_text: str | None = Field(default=None, max_length=2000)
    evidence_link: str | None = Field(default=None, max_length=500)
    evidence: list[dict] = Field(default_factory=list, sa_column=json_column(nullable=False))  # media refs
    reported_at: datetime | None = None
    confirmed_by: int | None = Field(default=None, foreign_key="person.id")
    confirmed_at: datetime | None = None
