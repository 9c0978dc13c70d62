"""Contests (hội thi): the committee's contest, the members' entries and the judges' scores."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models._types import json_column, utcnow


class Contest(SQLModel, table=True):
    """A contest a đảng bộ's committee opens: rules, accepted kinds, size limit, deadline, rubric."""

    __tablename__ = "contest"

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    title: str = Field(max_length=200)
    rules: str = Field(default="", max_length=2000)
    kinds: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))  # text|photo|...
    max_mb: int = 20  # the committee's size limit for a file (never above the platform's 20 MB)
    deadline: date  # the last local day entries are accepted
    per: str = Field(default="member", max_length=10)  # member | branch: one entry each
    # The rubric: [[criterion, max points], ...]
    criteria: list[list[str | int]] = Field(default_factory=list, sa_column=json_column(nullable=False))
    judge_ids: list[int] = Field(default_factory=list, sa_column=json_column(nullable=False))  # named judges
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    results_announced_at: datetime | None = None


class ContestEntry(SQLModel, table=True):
    """One entry, numbered within its contest ("Bài dự thi số 17"). ``slot`` makes "one entry per member"
    (m<person>) or "per branch" (b<branch>) a database rule, not only a check."""

    __tablename__ = "contest_entry"
    __table_args__ = (
        UniqueConstraint("contest_id", "number", name="uq_contest_entry_number"),
        UniqueConstraint("contest_id", "slot", name="uq_contest_entry_slot"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contest_id: int = Field(foreign_key="contest.id", index=True)
    number: int
    slot: str = Field(max_length=30)
    person_id: int = Field(foreign_key="person.id", index=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    kind: str = Field(max_length=10)  # text | photo | document | video | link
    text: str = Field(default="", max_length=4000)
    url: str = Field(default="", max_length=1000)
    media_key: str | None = Field(default=None, max_length=64)  # media store key (sha256)
    file_name: str = Field(default="", max_length=200)
    size: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ContestScore(SQLModel, table=True):
    """One judge's points for one entry, per criterion of the rubric (scoring again replaces them)."""

    __tablename__ = "contest_score"
    __table_args__ = (UniqueConstraint("entry_id", "judge_id", name="uq_contest_score_judge"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="contest_entry.id", index=True)
    judge_id: int = Field(foreign_key="person.id")
    points: list[int] = Field(default_factory=list, sa_column=json_column(nullable=False))
    total: int = 0
    scored_at: datetime = Field(default_factory=utcnow)
