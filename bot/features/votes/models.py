"""Votes at a branch meeting (biểu quyết): the question with its options, and one ballot per person."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models._types import json_column, utcnow


class VoteKind(StrEnum):
    YES_NO = "yesno"  # Tán thành / Không tán thành / Không biểu quyết
    CHOICE = "choice"  # choose one of N typed options


class PassBasis(StrEnum):
    MEMBERS = "members"  # more than half of the branch's members (docs/year-end.md §3, §7)
    PRESENT = "present"  # more than half of those present


class Vote(SQLModel, table=True):
    __tablename__ = "vote"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    question: str = Field(max_length=500)
    options: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    kind: str = Field(default=VoteKind.YES_NO, max_length=10)
    anonymous: bool = True
    pass_basis: str = Field(default=PassBasis.MEMBERS, max_length=10)  # the branch's setting when opened
    topic: str = Field(default="", max_length=100, index=True)  # "kind:ref", e.g. "classification:17"
    opened_by: int = Field(foreign_key="person.id")
    opened_at: datetime = Field(default_factory=utcnow)
    closed_by: int | None = Field(default=None, foreign_key="person.id")
    closed_at: datetime | None = None
    # Frozen when closed, so the result never moves afterwards (people leave, attendance is corrected).
    counts: list[int] | None = Field(default=None, sa_column=json_column())
    present_count: int | None = None
    member_count: int | None = None
    # Bumped by every ballot with one guarded UPDATE (closed_at IS NULL): a tap and the close take the same
    # row lock, so no ballot lands after the close on PostgreSQL.
    ballots_rev: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Ballot(SQLModel, table=True):
    __tablename__ = "vote_ballot"
    __table_args__ = (UniqueConstraint("vote_id", "person_id", name="uq_vote_ballot"),)

    id: int | None = Field(default=None, primary_key=True)
    vote_id: int = Field(foreign_key="vote.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    choice: int  # index into Vote.options
    first_at: datetime = Field(default_factory=utcnow)
    at: datetime = Field(default_factory=utcnow)  # the latest change
    changes: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class VoteSettings(SQLModel, table=True):
    """A branch's vote settings; a branch without a row uses the defaults (docs/year-end.md §7)."""

    __tablename__ = "vote_settings"

    branch_id: int = Field(foreign_key="branch.id", primary_key=True)
    anonymous: bool = True
    pass_basis: str = Field(default=PassBasis.MEMBERS, max_length=10)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="person.id")
