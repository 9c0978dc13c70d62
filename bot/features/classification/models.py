"""The branch's year-end classification: one proposal per member and year, and the branch's settings."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

from bot.services.levels import DEFAULT_EXCELLENT_CAP_PERCENT
from storage.models._types import json_column, utcnow

# draft: half done (kept when the secretary leaves the form); proposed: saved, the member's self-assessment
# locked; voting: a vote is open at a meeting; voted: the vote's counts recorded; confirmed: the đảng ủy
# confirmed the branch's summary (docs/year-end.md §1.6: the branch proposes, the committee decides).
STATUSES = ("draft", "proposed", "voting", "voted", "confirmed")


class ClassificationProposal(SQLModel, table=True):
    __tablename__ = "classification_proposal"
    __table_args__ = (UniqueConstraint("branch_id", "person_id", "year", name="uq_classification_member_year"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    year: int = Field(index=True)
    status: str = Field(default="draft", max_length=10)
    level: str | None = Field(default=None, max_length=10)  # a key of bot/services/levels.py
    points: int | None = None
    comment: str = Field(default="", max_length=2000)
    cap_reason: str | None = Field(default=None, max_length=1000)  # why the branch proposes above the cap
    proposed_by: int | None = Field(default=None, foreign_key="person.id")
    proposed_at: datetime | None = None
    vote_id: int | None = None  # the votes feature's id (no foreign key: features stay independent)
    vote_counts: list[int] | None = Field(default=None, sa_column=json_column())  # per option
    vote_present: int | None = None
    vote_members: int | None = None
    vote_passed: bool | None = None
    vote_line: str | None = Field(default=None, max_length=500)
    voted_at: datetime | None = None
    confirmed_by: int | None = Field(default=None, foreign_key="person.id")
    confirmed_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class ClassificationSettings(SQLModel, table=True):
    """Per-branch settings where the rule was not found under the new texts (docs/year-end.md §1.5, §3)."""

    __tablename__ = "classification_settings"

    branch_id: int = Field(foreign_key="branch.id", primary_key=True)
    excellent_cap_percent: int = DEFAULT_EXCELLENT_CAP_PERCENT  # of those rated "good" (superseded Hướng dẫn 21)
    anonymous: bool = True  # counts only
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="person.id")
