"""Daily lesson ("Học Bác mỗi ngày"): delivery preferences, imported items, year themes, choices, receipts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models._types import json_column, utcnow

DEFAULT_MINUTE = 6 * 60 + 30  # 06:30 local, the default


class DailyPref(SQLModel, table=True):
    """A member's delivery choices. No row means the defaults (06:30, every day, private chat)."""

    __tablename__ = "daily_pref"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    # Local minute of the day (0..1439): an integer so the minute tick is one indexed range query.
    minute: int = Field(default=DEFAULT_MINUTE, index=True)
    days: str = Field(default="all", max_length=10)  # all | weekdays
    paused_until: date | None = None  # inclusive; nothing is sent up to and including this day
    group_only: bool = False  # read it in the branch group instead of a private message
    # "Nhận kèm ảnh chữ lớn": the daily item also comes as a large-print PNG card (bot.features.daily.card).
    large_card: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    updated_at: datetime = Field(default_factory=utcnow)


class BranchDaily(SQLModel, table=True):
    """Daily delivery into the branch's linked group chat (Branch.group_*), at the branch's time."""

    __tablename__ = "branch_daily"

    branch_id: int = Field(foreign_key="branch.id", primary_key=True)
    minute: int = Field(default=DEFAULT_MINUTE, index=True)
    linked_by: int | None = Field(default=None, foreign_key="person.id")
    linked_at: datetime = Field(default_factory=utcnow)


class ContentItemRow(SQLModel, table=True):
    """An item imported by one đảng bộ (same fields as bot.content.ContentItem); never shown to others."""

    __tablename__ = "content_item"
    __table_args__ = (UniqueConstraint("org_id", "item_id", name="uq_content_item_org_item"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    item_id: str = Field(max_length=120)
    kind: str = Field(default="quote", max_length=10)
    text: str
    source_url: str = Field(max_length=1000)
    work: str | None = Field(default=None, max_length=500)
    date: str | None = Field(default=None, max_length=10)
    citation: str | None = Field(default=None, max_length=1000)
    via: str | None = Field(default=None, max_length=500)  # shown as "Trích theo"
    source_outlet: str | None = Field(default=None, max_length=500)  # the source link's label ("Nguồn")
    themes: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    occasions: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    lead: str | None = Field(default=None, max_length=500)
    reflection: str | None = Field(default=None, max_length=1000)
    confidence: str | None = Field(default=None, max_length=10)
    also_seen: str | None = None
    note: str | None = None
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)


class YearTheme(SQLModel, table=True):
    """The đảng bộ's chuyên đề for one year, set by its committee admin."""

    __tablename__ = "year_theme"

    org_id: int = Field(foreign_key="organization.id", primary_key=True)
    year: int = Field(primary_key=True)
    title: str = Field(max_length=500)
    themes: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    set_by: int | None = Field(default=None, foreign_key="person.id")
    set_at: datetime = Field(default_factory=utcnow)


class DailyChoice(SQLModel, table=True):
    """The item a branch gets on one local day: chosen once, stored, so everyone sees the same."""

    __tablename__ = "daily_choice"

    branch_id: int = Field(foreign_key="branch.id", primary_key=True)
    day: date = Field(primary_key=True)
    item_id: str = Field(max_length=120)
    org_id: int = Field(foreign_key="organization.id")
    created_at: datetime = Field(default_factory=utcnow)


class DailyUsage(SQLModel, table=True):
    """Which item a đảng bộ used on which day: the history behind "no repeats, then least recently used"."""

    __tablename__ = "daily_usage"

    org_id: int = Field(foreign_key="organization.id", primary_key=True)
    day: date = Field(primary_key=True)
    item_id: str = Field(max_length=120, primary_key=True)


class DailyRead(SQLModel, table=True):
    """"Đã đọc ✓": one row per person per local day (voluntary; feeds the streak and weekly counts)."""

    __tablename__ = "daily_read"
    __table_args__ = (Index("ix_daily_read_branch_day", "branch_id", "day"),
                      # the committee's views: reads of many branches in a period (migration 0027)
                      Index("ix_daily_read_branch_at", "branch_id", "at", "person_id"))

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    day: date = Field(primary_key=True)
    branch_id: int | None = Field(default=None, foreign_key="branch.id")
    at: datetime = Field(default_factory=utcnow)

