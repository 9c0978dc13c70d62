"""Zalo: outgoing-message counts per bot per month, and the codes that link two channel accounts."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

from storage.models._types import utcnow


class ZaloQuota(SQLModel, table=True):
    """Messages one Zalo bot sent in one calendar month (local time), against its plan's quota."""

    __tablename__ = "zalo_quota"
    __table_args__ = (UniqueConstraint("bot", "month", name="uq_zalo_quota_bot_month"),)

    id: int | None = Field(default=None, primary_key=True)
    bot: str = Field(max_length=64)
    month: str = Field(max_length=7)  # "2026-03"
    sent: int = 0
    warned_at: datetime | None = None  # the secretaries were told the warning threshold was passed
    full_at: datetime | None = None  # the quota was reached: daily items pause until next month


class LinkCode(SQLModel, table=True):
    """A 6-digit code from /lienket: typed on another channel, it joins both accounts to one person."""

    __tablename__ = "link_code"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=6, index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    identity_id: int = Field(foreign_key="identity.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class LinkFailure(SQLModel, table=True):
    """A wrong link code, for rate limiting guesses (per person)."""

    __tablename__ = "link_failure"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(index=True)  # no FK: survives a merge that deletes the person
    at: datetime = Field(default_factory=utcnow, index=True)
