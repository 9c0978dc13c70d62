"""A branch's calendar settings and the committee's lagging thresholds (read by several features)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

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
    # Monthly meetings missed without a reason in a calendar year: the secretary is warned at the first
    # number and the member flagged at the second (docs/year-end.md §4; the bot only flags).
    absence_warn_at: int = Field(default=2, sa_column_kwargs={"server_default": "2"})
    absence_flag_at: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    updated_at: datetime = Field(default_factory=utcnow)


class OrgThresholds(SQLModel, table=True):
    """When the committee view flags a branch as lagging (configurable per đảng bộ)."""

    __tablename__ = "org_thresholds"

    org_id: int = Field(foreign_key="organization.id", primary_key=True)
    min_attendance_pct: int = 80
    require_thematic_quarter: bool = True
    require_deeds_month: bool = True
    updated_at: datetime = Field(default_factory=utcnow)
