"""Cutting a report period into the columns of a chart (the dashboard's ``Series``): weeks for a month or a
quarter, months for a year, so a chart never has more bars than a phone can show with a number on each.

An engine module because several features (deeds, daily, ...) chart their figures the same way and features
never import each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import _
from bot.services.branch_report import period_bounds, period_label

PERIODS = ("m", "q", "y")  # this month, this quarter, this year (/baocao and the dashboard)
MAX_WEEKS = 16  # beyond this (a year) the columns are months


def period_range(kind: str, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime, str]:
    """[start, end) of this month / quarter / year as aware UTC datetimes, and its label ("tháng 3/2026")."""
    from bot.clock import to_utc

    today = now.astimezone(tz).date()
    start, end = period_bounds(kind, today)
    return (to_utc(datetime.combine(start, datetime.min.time()), tz),
            to_utc(datetime.combine(end, datetime.min.time()), tz), period_label(kind, today))


@dataclass(frozen=True, slots=True)
class Bucket:
    """One column: [first, end) local days and its plain label ("Tuần 02/03", "Tháng 3")."""

    label: str
    first: date
    end: date


def buckets(start: datetime, end: datetime, tz: ZoneInfo, now: datetime | None = None) -> list[Bucket]:
    """The columns of [start, end) (aware datetimes), up to ``now`` when given: the weeks still to come are
    left out rather than drawn as zeros that would read as "nothing done"."""
    if now is not None and now < end:
        end = max(now, start)
    first = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    if end.astimezone(tz).time() != datetime.min.time() or last == first:
        last += timedelta(days=1)  # the day in progress counts
    if (last - first).days <= MAX_WEEKS * 7:
        out: list[Bucket] = []
        monday = first - timedelta(days=first.weekday())
        while monday < last:
            lo, hi = max(monday, first), min(monday + timedelta(days=7), last)
            out.append(Bucket(_("Wk {day}").format(day=lo.strftime("%d/%m")), lo, hi))
            monday += timedelta(days=7)
        return out
    months: list[Bucket] = []
    cur = first.replace(day=1)
    while cur < last:
        nxt = date(cur.year + (cur.month == 12), cur.month % 12 + 1, 1)
        months.append(Bucket(_("Month {m}").format(m=cur.month), max(cur, first), min(nxt, last)))
        cur = nxt
    return months


def count_days(cols: list[Bucket], days: Iterable[date]) -> list[tuple[str, int]]:
    """How many of ``days`` (local dates, one per record) fall in each column."""
    counts = [0] * len(cols)
    for d in days:
        for i, col in enumerate(cols):
            if col.first <= d < col.end:
                counts[i] += 1
                break
    return [(col.label, n) for col, n in zip(cols, counts, strict=True)]


def local_day(at: datetime, tz: ZoneInfo) -> date:
    """The local day of a stored instant (a naive value read from a database is UTC)."""
    from bot.clock import as_utc

    return as_utc(at).astimezone(tz).date()
