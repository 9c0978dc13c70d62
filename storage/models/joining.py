"""Join and invite codes, and failed attempts (for rate limiting guesses)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.models._types import utcnow


class JoinCode(SQLModel, table=True):
    """kind: member (join a branch, needs approval), secretary / deputy (invite, no approval),
    committee_admin (invite to an đảng bộ)."""

    __tablename__ = "join_code"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    kind: str = Field(default="member", max_length=30)
    branch_id: int | None = Field(default=None, foreign_key="branch.id", index=True)
    org_id: int | None = Field(default=None, foreign_key="organization.id")
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    max_uses: int | None = None
    uses: int = 0


class JoinFailure(SQLModel, table=True):
    __tablename__ = "join_failure"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    external_id: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
