"""Commendations: the branch's proposals to the đảng ủy and the awards the committee records, by year."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.models._types import json_column, utcnow


class ProposalStatus(StrEnum):
    SENT = "sent"  # đã gửi đảng ủy, chờ xét
    AWARDED = "awarded"  # đã khen thưởng
    DECLINED = "declined"  # không khen thưởng (with a comment)


class CommendProposal(SQLModel, table=True):
    """One proposal of a collective (the branch itself, a group) or an individual, with its reason and the
    records behind it (``evidence``: one line per deed, nomination, level or pledge result)."""

    __tablename__ = "commend_proposal"
    __table_args__ = (Index("ix_commend_proposal_org_year", "org_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    org_id: int = Field(foreign_key="organization.id")
    year: int
    kind: str = Field(max_length=12)  # individual | collective
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    name: str = Field(max_length=200)  # the member's name at the time, or the collective's
    reason: str = Field(max_length=2000)
    evidence: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    status: str = Field(default=ProposalStatus.SENT, max_length=12)
    proposed_by: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = None
    comment: str | None = Field(default=None, max_length=500)


class CommendAward(SQLModel, table=True):
    """An award the committee recorded, kept by year so a "5 năm liền" chain can be counted."""

    __tablename__ = "commend_award"
    __table_args__ = (Index("ix_commend_award_org_year", "org_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id")
    branch_id: int = Field(foreign_key="branch.id", index=True)
    year: int
    kind: str = Field(max_length=12)  # individual | collective
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    name: str = Field(max_length=200)
    form: str = Field(max_length=20)  # a key of service.AWARD_FORMS
    proposal_id: int | None = Field(default=None, foreign_key="commend_proposal.id")
    recorded_by: int = Field(foreign_key="person.id")
    recorded_at: datetime = Field(default_factory=utcnow)
