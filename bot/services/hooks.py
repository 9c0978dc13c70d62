"""Cross-feature extension points. A feature registers what it knows; another feature asks for it.

This keeps features independent (the deeds module never imports the pledges module and vice versa)
while reports, broadcasts and reminders can still combine their figures. Every provider takes the
caller's session so it reads inside the same transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession


@dataclass(frozen=True, slots=True)
class Audience:
    """A named group of a branch's members, e.g. "not pledged this year" (for broadcasts and nudges)."""

    key: str
    label: Callable[[], str]  # translated label
    members: Callable[[AsyncSession, int, datetime], Awaitable[set[int]]]  # (session, branch_id, now) -> persons


# key -> Audience. "all" (every active member) is provided by the broadcasts feature itself.
AUDIENCES: dict[str, Audience] = {}

# (session, branch_id, start, end) -> {"figure_key": number}. Keys in use are documented in
# docs/ARCHITECTURE.md ("Branch figures").
FiguresProvider = Callable[[AsyncSession, int, datetime, datetime], Awaitable[dict[str, float | int]]]
BRANCH_FIGURES: list[FiguresProvider] = []


# (session, deps, actor, join code) -> a polite refusal, or None to let the code be used. Runs after the code
# is found valid and before it is used; a refusal is not counted as a wrong code. E.g. a Zalo bot only takes
# codes of the branches it serves (bot/services/zalo_quota.py).
JoinGuard = Callable[[AsyncSession, Any, Any, Any], Awaitable[str | None]]
JOIN_GUARDS: list[JoinGuard] = []


@dataclass
class Providers:
    """Single-answer providers; None until the owning feature registers one."""

    # The deployment's time zone (set by the App from BOT_TIMEZONE), for providers that turn the UTC
    # bounds they are given into local dates.
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))

    # (session, person_id, year) -> [(pledge_item_id, short label)]: the deeds form offers these.
    pledge_items: Callable[[AsyncSession, int, int], Awaitable[list[tuple[int, str]]]] | None = None
    # (session, [pledge_item_id]) -> {item_id: [(day, deed text)]}: the pledge view lists linked deeds.
    deeds_for_pledge_items: (
        Callable[[AsyncSession, list[int]], Awaitable[dict[int, list[tuple[date, str]]]]] | None
    ) = None
    # (session, person_id) -> the member's chosen daily delivery time (local); default 06:30.
    delivery_time: Callable[[AsyncSession, int], Awaitable[time]] | None = None
    # (session, branch_id) -> (quiet_start, quiet_end) local times; default 21:00–07:00.
    quiet_hours: Callable[[AsyncSession, int], Awaitable[tuple[time, time]]] | None = None
    # (session, branch_id, after) -> the next regular meeting's local start, if one is scheduled/known.
    next_meeting: Callable[[AsyncSession, int, datetime], Awaitable[datetime | None]] | None = None
    # (session, org_id, year) -> the đảng bộ's theme for that year (title, theme slugs), if set.
    year_theme: Callable[[AsyncSession, int, int], Awaitable[tuple[str, list[str]] | None]] | None = None


PROVIDERS = Providers()

DEFAULT_DELIVERY_TIME = time(6, 30)
DEFAULT_QUIET_HOURS = (time(21, 0), time(7, 0))


def in_quiet_hours(local: time, quiet: tuple[time, time] = DEFAULT_QUIET_HOURS) -> bool:
    start, end = quiet
    if start <= end:
        return start <= local < end
    return local >= start or local < end


# (services, outbox row, final status, platform message ids) -> None. The sender calls these after a row
# reaches a final state (sent, unreachable, failed, skipped); broadcasts use it for live progress.
OutboxObserver = Callable[[Any, Any, str, list[str]], Awaitable[None]]
OUTBOX_OBSERVERS: list[OutboxObserver] = []


@dataclass(frozen=True, slots=True)
class ExportSheet:
    """One sheet of the branch workbook ("Xuất Excel"). ``key`` is one of members, pledges, deeds,
    meetings, notices (or a new one); the pledges and deeds features register theirs."""

    key: str
    title: Callable[[], str]  # translated sheet title
    # (session, branch_id, start, end) -> (header, rows)
    rows: Callable[[AsyncSession, int, datetime, datetime], Awaitable[tuple[list[str], list[list[Any]]]]]


EXPORT_SHEETS: list[ExportSheet] = []
