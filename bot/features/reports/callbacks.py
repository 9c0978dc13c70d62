"""Button kinds of reports. ShowReport is also built by meetings' review reminders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.kernel.callbacks import CallbackData

Period = Literal["m", "q", "y"]  # month, quarter, year: reports.service.PERIODS


@dataclass(frozen=True)
class ReportFor(CallbackData, prefix="rep.branch"):
    branch_id: int


@dataclass(frozen=True)
class ShowReport(CallbackData, prefix="rep.show"):
    period: Period
    branch_id: int


@dataclass(frozen=True)
class ReportExport(CallbackData, prefix="rep.xlsx"):
    period: Period
    branch_id: int


@dataclass(frozen=True)
class CommitteeReport(CallbackData, prefix="rep.org"):
    period: Period
    org_id: int
