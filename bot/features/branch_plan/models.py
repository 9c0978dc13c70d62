"""The branch's own papers: the yearly plan "học tập và làm theo" and the six-month and year-end reports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models._types import json_column, utcnow


class DocStatus(StrEnum):
    DRAFT = "draft"  # bản nháp
    SENT = "sent"  # đã gửi đảng ủy
    RETURNED = "returned"  # đảng ủy trả lại (with a comment)
    ACKNOWLEDGED = "acknowledged"  # đảng ủy đã tiếp nhận


class BranchDoc(SQLModel, table=True):
    """One paper of a branch for one year: ``kind`` plan | half | year. ``fields`` holds the free-text parts
    the secretary writes; ``figures`` the bot's figures as they were when it was last sent."""

    __tablename__ = "branch_doc"
    __table_args__ = (UniqueConstraint("branch_id", "kind", "year", name="uq_branch_doc_kind_year"),)

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    kind: str = Field(max_length=10)
    year: int
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    figures: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    status: str = Field(default=DocStatus.DRAFT, max_length=20)
    comment: str | None = Field(default=None, max_length=1000)  # the committee's, when returned
    sent_count: int = 0
    updated_by: int | None = Field(default=None, foreign_key="person.id")
    updated_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = None
