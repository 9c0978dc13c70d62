"""Pledges (phiếu đăng ký học tập và làm theo Bác): one per (person, branch, year), versioned, with
check-ins, mid-year and year-end self-assessments, branch settings and a reminder log."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models._types import json_column, utcnow

FIELD_MAX = 500  # per-field limit of what a member types (the rule)


class PledgeStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"


class Pledge(SQLModel, table=True):
    """The member's pledge for one year in one branch. The columns hold the latest submitted content;
    every submitted version is also kept in ``pledge_version`` (history). ``approved_version`` stays set
    while an amendment waits, so the pledge still counts as approved."""

    __tablename__ = "pledge"
    __table_args__ = (
        UniqueConstraint("person_id", "branch_id", "year", name="uq_pledge_person_branch_year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    org_id: int = Field(foreign_key="organization.id")
    year: int = Field(index=True)
    status: str = Field(default=PledgeStatus.DRAFT, max_length=20)
    version: int = 0  # number of the latest submitted version (0: never submitted)
    approved_version: int | None = None
    duty: str = Field(default="", max_length=FIELD_MAX)
    shortcoming: str = Field(default="", max_length=FIELD_MAX)
    remedy: str = Field(default="", max_length=FIELD_MAX)
    commitment: str = Field(default="", max_length=FIELD_MAX)
    secretary_comment: str | None = Field(default=None, max_length=FIELD_MAX)
    # Work in progress (a new pledge, a returned one being fixed, or an amendment): the form's answers.
    draft: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    first_submitted_at: datetime | None = None
    submitted_at: datetime | None = None
    first_approved_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by: int | None = Field(default=None, foreign_key="person.id")


class PledgeItem(SQLModel, table=True):
    """One deed of a pledge. Ids are stable across amendments so linked deeds stay linked; a deed removed
    by an amendment is kept inactive."""

    __tablename__ = "pledge_item"

    id: int | None = Field(default=None, primary_key=True)
    pledge_id: int = Field(foreign_key="pledge.id", index=True)
    position: int = 0
    what: str = Field(default="", max_length=FIELD_MAX)
    criterion: str = Field(default="", max_length=FIELD_MAX)
    when_text: str = Field(default="", max_length=FIELD_MAX)
    active: bool = True
    created_version: int = 1


class PledgeVersion(SQLModel, table=True):
    __tablename__ = "pledge_version"
    __table_args__ = (UniqueConstraint("pledge_id", "version", name="uq_pledge_version"),)

    id: int | None = Field(default=None, primary_key=True)
    pledge_id: int = Field(foreign_key="pledge.id", index=True)
    version: int
    content: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    status: str = Field(default=PledgeStatus.SUBMITTED, max_length=20)
    submitted_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    comment: str | None = Field(default=None, max_length=FIELD_MAX)


class PledgeCheckinRound(SQLModel, table=True):
    """One check-in round of a branch: ``period`` is "2026-03" (monthly) or "2026-Q1" (quarterly)."""

    __tablename__ = "pledge_checkin_round"
    __table_args__ = (UniqueConstraint("branch_id", "period", name="uq_pledge_round_period"),)

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    year: int
    period: str = Field(max_length=10)
    created_at: datetime = Field(default_factory=utcnow)


class PledgeCheckin(SQLModel, table=True):
    __tablename__ = "pledge_checkin"
    __table_args__ = (UniqueConstraint("round_id", "pledge_id", name="uq_pledge_checkin"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="pledge_checkin_round.id", index=True)
    pledge_id: int = Field(foreign_key="pledge.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    answered_at: datetime | None = None
    note: str | None = Field(default=None, max_length=FIELD_MAX)


class PledgeCheckinAnswer(SQLModel, table=True):
    """status: done (✓ đã làm) | doing (⏳ đang làm) | not (✗ chưa làm)."""

    __tablename__ = "pledge_checkin_answer"
    __table_args__ = (UniqueConstraint("checkin_id", "item_id", name="uq_pledge_checkin_answer"),)

    id: int | None = Field(default=None, primary_key=True)
    checkin_id: int = Field(foreign_key="pledge_checkin.id", index=True)
    item_id: int = Field(foreign_key="pledge_item.id")
    status: str = Field(max_length=10)
    answered_at: datetime = Field(default_factory=utcnow)


class PledgeReview(SQLModel, table=True):
    """Self-assessment: kind midyear | yearend. level (year-end only): excellent | good | done | not_done.

    Year-end: ``sections`` holds the text of each section of the form (yearend_form.py) by key; ``text`` is
    kept as their plain joined text (search, erasure). status: draft | submitted | withdrawn (back to an
    editable draft) | locked (the branch acted on it; no withdrawal). Every sent version is kept in
    ``pledge_review_version``."""

    __tablename__ = "pledge_review"
    __table_args__ = (UniqueConstraint("pledge_id", "kind", name="uq_pledge_review"),)

    id: int | None = Field(default=None, primary_key=True)
    pledge_id: int = Field(foreign_key="pledge.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=10)
    text: str = Field(default="", max_length=4000)
    level: str | None = Field(default=None, max_length=20)
    status: str = Field(default="draft", max_length=20)  # draft | submitted | withdrawn | locked
    created_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None
    form: str = Field(default="2A", max_length=4, sa_column_kwargs={"server_default": "2A"})
    sections: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    points_common: int | None = None
    points_results: int | None = None
    # The member confirmed a level whose band does not hold their points.
    band_confirmed: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # sent versions so far
    locked_at: datetime | None = None


class PledgeReviewVersion(SQLModel, table=True):
    """One sent version of a year-end self-assessment, kept (at least 3 years: Hướng dẫn 12-HD/BTCTW 2022,
    docs/year-end.md §2) even after a withdrawal; ``content``: form, sections, points, level."""

    __tablename__ = "pledge_review_version"
    __table_args__ = (UniqueConstraint("review_id", "version", name="uq_pledge_review_version"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="pledge_review.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    year: int
    version: int
    content: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    submitted_at: datetime = Field(default_factory=utcnow)
    withdrawn_at: datetime | None = None


class PledgeBranchSettings(SQLModel, table=True):
    __tablename__ = "pledge_branch_settings"

    branch_id: int = Field(foreign_key="branch.id", primary_key=True)
    deadline: date | None = None
    checkin_frequency: str = Field(default="monthly", max_length=10)  # monthly | quarterly
    midyear_month: int = 6
    yearend_start_month: int = 11
    yearend_end_month: int = 12
    # The review window: from yearend_start_day/yearend_start_month to yearend_end_day/yearend_end_month
    # (not found in the rules: a branch setting, default 15/11–31/12, docs/year-end.md §7).
    yearend_start_day: int = Field(default=15, sa_column_kwargs={"server_default": "15"})
    yearend_end_day: int = Field(default=31, sa_column_kwargs={"server_default": "31"})
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="person.id")


class PledgeReminder(SQLModel, table=True):
    """Every pledge reminder sent to a member (kind: nudge | deadline), for the once-a-week cap."""

    __tablename__ = "pledge_reminder"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    branch_id: int = Field(foreign_key="branch.id")
    kind: str = Field(max_length=20)
    at: datetime = Field(default_factory=utcnow, index=True)
