"""Button kinds of the daily lesson: "Read ✓", the member's settings, the secretary's weekly count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.kernel.callbacks import CallbackData


@dataclass(frozen=True)
class MarkRead(CallbackData, prefix="daily.read"):
    day: date


@dataclass(frozen=True)
class DailySetting(CallbackData, prefix="daily.set"):
    action: Literal["time", "pause", "resume"]


@dataclass(frozen=True)
class DailyDays(CallbackData, prefix="daily.days"):
    days: Literal["all", "weekdays"]


@dataclass(frozen=True)
class DailyGroupOnly(CallbackData, prefix="daily.group"):
    group_only: bool


@dataclass(frozen=True)
class DailyLargeCard(CallbackData, prefix="daily.card"):
    on: bool


@dataclass(frozen=True)
class WeekReadsFor(CallbackData, prefix="daily.week"):
    branch_id: int
