"""Good deeds (việc tốt), "gương người tốt" nominations, per-đảng bộ categories, review preferences."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models._types import json_column, utcnow


class DeedStatus(StrEnum):
    PENDING = "pending"  # chờ duyệt
    ACCEPTED = "accepted"  # đã ghi nhận
    FEATURED = "featured"  # được biểu dương
    RETURNED = "returned"  # trả lại (with a reason)
    WITHDRAWN = "withdrawn"  # the member took it back before review


class ShareConsent(StrEnum):
    ASK = "ask"  # ask the member again if the deed is featured
    YES = "yes"
    NO = "no"


class Deed(SQLModel, table=True):
    __tablename__ = "deed"
    __table_args__ = (Index("ix_deed_branch_status", "branch_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    branch_id: int = Field(foreign_key="branch.id")
    text: str = Field(default="", max_length=2000)
    voice_key: str | None = Field(default=None, max_length=64)  # media store key of a voice note
    day: date = Field(index=True)  # the local day the deed was done
    category: str = Field(default="", max_length=100)  # the name at the time (categories may be edited)
    photo_keys: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    # A pledge item of the pledges feature; a plain id (no FK) so the features stay independent.
    pledge_item_id: int | None = None
    share: str = Field(default=ShareConsent.ASK, max_length=10)
    status: str = Field(default=DeedStatus.PENDING, max_length=20)
    return_reason: str | None = Field(default=None, max_length=500)
    source: str = Field(default="form", max_length=20)  # form | hashtag | photo | text | behalf
    recorded_by: int | None = Field(default=None, foreign_key="person.id")  # a secretary, on behalf
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime | None = None
    reviewed_by: int | None = Field(default=None, foreign_key="person.id")
    reviewed_at: datetime | None = None
    stale_notified_at: datetime | None = None  # the 7-day reminder went out (once per deed)
    shared_at: datetime | None = None  # posted to the branch group
    erased: bool = False  # /xoadulieu: content removed, the row stays for branch totals


class NominationStatus(StrEnum):
    PENDING = "pending"  # chờ xem xét
    ACCEPTED = "accepted"  # đã ghi nhận: goes to the monthly pack and the commendation shortlist
    DECLINED = "declined"  # không ghi nhận (with a comment)


class Nomination(SQLModel, table=True):
    """A "gương người tốt" example put forward by a member: anyone, inside or outside the Party. When the name
    is one member's of the branch, ``person_id`` links it (an accepted one is then on their shortlist)."""

    __tablename__ = "deed_nomination"

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    nominated_by: int = Field(foreign_key="person.id", index=True)
    name: str = Field(max_length=200)
    what: str = Field(max_length=2000)
    contact: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    day: date | None = None  # the local day it was put forward
    status: str = Field(default=NominationStatus.PENDING, max_length=10,
                        sa_column_kwargs={"server_default": "pending"})
    comment: str | None = Field(default=None, max_length=500)  # the secretary's or committee's word
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = None


class DeedCategory(SQLModel, table=True):
    """The đảng bộ's list of deed categories (seeded with defaults; committee admins edit it)."""

    __tablename__ = "deed_category"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_deed_category_org_name"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    name: str = Field(max_length=100)
    position: int = 0


class DeedReviewPref(SQLModel, table=True):
    """When a secretary wants the daily digest (local time, "HH:MM")."""

    __tablename__ = "deed_review_pref"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    digest_time: str = Field(default="19:00", max_length=5)
