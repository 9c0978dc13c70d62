"""People, their channel identities and their roles."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models._types import utcnow


class BranchRole(StrEnum):
    MEMBER = "member"
    DEPUTY = "deputy"
    SECRETARY = "secretary"


class MembershipStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    LEFT = "left"


class Person(SQLModel, table=True):
    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    display_name: str = Field(default="", max_length=200)
    locale: str = Field(default="vi", max_length=8)
    preferred_channel: str | None = Field(default=None, max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
    # Set by /xoadulieu: the row stays (branch totals keep counting) but holds nothing personal.
    erased_at: datetime | None = None


class Identity(SQLModel, table=True):
    """One account on one channel (a Telegram user id, a Zalo user id under one bot)."""

    __tablename__ = "identity"
    __table_args__ = (UniqueConstraint("channel", "bot", "external_id", name="uq_identity_account"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    channel: str = Field(max_length=20)
    bot: str = Field(default="", max_length=64)
    external_id: str = Field(max_length=64)
    chat_id: str = Field(max_length=64)
    display_name: str = Field(default="", max_length=200)
    username: str = Field(default="", max_length=100)
    reachable: bool = True
    unreachable_reason: str | None = Field(default=None, max_length=300)
    unreachable_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime | None = None


class Membership(SQLModel, table=True):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("person_id", "branch_id", name="uq_membership_person_branch"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    role: str = Field(default=BranchRole.MEMBER, max_length=20)
    status: str = Field(default=MembershipStatus.PENDING, max_length=20, index=True)
    requested_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    left_at: datetime | None = None


class OrgRole(SQLModel, table=True):
    """Committee-level roles (đảng ủy, ban tuyên giáo): see every branch of one đảng bộ."""

    __tablename__ = "org_role"
    __table_args__ = (UniqueConstraint("person_id", "org_id", "role", name="uq_org_role"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    role: str = Field(default="committee_admin", max_length=30)
    created_at: datetime = Field(default_factory=utcnow)
