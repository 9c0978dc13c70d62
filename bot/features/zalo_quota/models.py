"""Zalo: outgoing-message counts per bot per month, and the codes that link two channel accounts."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel, UniqueConstraint


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
    # Zalo itself answered 429 "Quota exceeded": every non-reply kind waits for next month.
    exhausted_at: datetime | None = None
