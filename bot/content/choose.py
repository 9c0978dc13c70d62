"""Pick today's item: pure, deterministic, no item twice within a year when the library allows it.

The promise (docs/daily.md, "How today's item is chosen"):

- On an occasion day the occasion's item is shown; when several items share the occasion they rotate by
  year: year Y shows item ``Y mod k`` of the k items sorted by id (the same in every đảng bộ).
- On the other days the item is the least recently used one, never-used first (the year theme before the
  rest), **except** items that an occasion in the coming 364 days will show: those are held back for their
  date, so showing an item on its occasion never repeats it within 365 days of an ordinary day.
- Hence two showings of an item are at least ``min(N - A, 365)`` days apart, where N is the number of
  items and A (:func:`occasion_allowance`) the number of occasion dates one year can hold (one per
  occasion, two for Tết). With N - A >= 365 no item is seen twice within 365 days. The only exception
  is an occasion with one single item for Tết (two Tết can be 354 days apart).

``hocbac content check`` runs :func:`simulate` over the shipped library and prints the figures.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from bot.content.model import TET, ContentItem

# Mùng 1 Tết Nguyên đán (Vietnamese lunar calendar, UTC+7), computed by bot/content/tools/tet_dates.py
# (documented algorithm; it reproduces the known Vietnam/China differences of 1985 and 2007).
# Outside this table "tet" occasions simply never match (no guessing).
TET_DATES: dict[int, dt.date] = {
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 2),  # UTC+7: one day before Chinese New Year (new moon ~23:07 local)
    2031: dt.date(2031, 1, 23),
    2032: dt.date(2032, 2, 11),
    2033: dt.date(2033, 1, 31),
    2034: dt.date(2034, 2, 19),
    2035: dt.date(2035, 2, 8),
}

# The occasions docs/daily.md promises an item for, with the label the docs print (a test keeps the two
# equal, and `hocbac content check` fails when the shipped library has no item for one of them).
PROMISED_OCCASIONS: dict[str, str] = {
    TET: "mùng 1 Tết",
    "02-03": "3/2",
    "03-08": "8/3",
    "03-27": "27/3",
    "05-19": "19/5",
    "06-01": "1/6",
    "06-11": "11/6",
    "07-27": "27/7",
    "08-19": "19/8",
    "09-02": "2/9",
    "10-13": "13/10",
    "10-15": "15/10",
    "10-20": "20/10",
    "12-22": "22/12",
}

YEAR_DAYS = 365  # the window within which no item should be seen twice
TET_MIN_GAP = min((b - a).days for a, b in pairwise(sorted(TET_DATES.values())))  # 354


def occasions_on(day: dt.date) -> set[str]:
    """Occasion tags that apply on ``day``: its "MM-DD", plus "tet" on mùng 1 Tết."""
    tags = {day.strftime("%m-%d")}
    if TET_DATES.get(day.year) == day:
        tags.add(TET)
    return tags


def _tag_order(tag: str) -> tuple[int, str]:
    return (0, "") if tag == TET else (1, tag)  # Tết first, then by date


def _tag_days(tag: str, years: Iterable[int]) -> list[dt.date]:
    """The dates of one occasion tag in the given years (a malformed or impossible tag has none)."""
    out: list[dt.date] = []
    for year in years:
        if tag == TET:
            if year in TET_DATES:
                out.append(TET_DATES[year])
            continue
        try:
            out.append(dt.date(year, int(tag[:2]), int(tag[3:])))
        except ValueError:  # "02-29" outside leap years, or not "MM-DD"
            continue
    return out


def rotations(items: Iterable[ContentItem]) -> dict[str, list[ContentItem]]:
    """Occasion tag -> the items that rotate on it, sorted by id.

    An item tagged for several occasions rotates under the first of them only (Tết first, then by date):
    otherwise one year could show it on 3/2 and again on a Tết a few days later."""
    out: dict[str, list[ContentItem]] = {}
    for item in items:
        if item.occasions:
            out.setdefault(min(item.occasions, key=_tag_order), []).append(item)
    for group in out.values():
        group.sort(key=lambda i: i.id)
    return out


def occasion_item(rotation: dict[str, list[ContentItem]], day: dt.date) -> ContentItem | None:
    """The item an occasion shows on ``day`` (year Y: item Y mod k of its k items), or None."""
    for tag in sorted(occasions_on(day), key=_tag_order):  # Tết wins if it falls on another occasion
        group = rotation.get(tag)
        if group:
            return group[day.year % len(group)]
    return None


def held_for_occasions(rotation: dict[str, list[ContentItem]], day: dt.date) -> set[str]:
    """Ids of the items that occasions in the next YEAR_DAYS - 1 days will show: kept for their date."""
    end = day + dt.timedelta(days=YEAR_DAYS - 1)
    held: set[str] = set()
    for tag in rotation:
        for when in _tag_days(tag, (day.year, day.year + 1)):
            if day < when <= end and (item := occasion_item(rotation, when)) is not None:
                held.add(item.id)
    return held


def occasion_allowance(items: Iterable[ContentItem]) -> int:
    """A: how many items occasions can hold back at once (one per occasion in a year, two for Tết)."""
    tags = rotations(items)
    return len(tags) + (1 if TET in tags else 0)


def spacing_promise(items: Iterable[ContentItem]) -> int:
    """The fewest days between two showings of one item that the chooser guarantees for this library:
    min(N - A, 365), and at most 354 when Tết has a single item (two Tết can be 354 days apart)."""
    pool = list(items)
    promise = min(len(pool) - occasion_allowance(pool), YEAR_DAYS)
    if len(rotations(pool).get(TET, ())) == 1:
        promise = min(promise, TET_MIN_GAP)
    return max(promise, 1)


def _tiebreak(seed_key: str, day: dt.date, item_id: str) -> bytes:
    # hashlib, not hash(): Python's str hash is randomised per process.
    return hashlib.sha256(f"{seed_key}|{day.isoformat()}|{item_id}".encode()).digest()


def choose_item(
    items: Iterable[ContentItem],
    *,
    day: dt.date,
    theme_slugs: set[str],
    used: dict[str, dt.date],
    seed_key: str,
) -> ContentItem:
    """Today's item for one đảng bộ or chat (``seed_key``), given when each item was last shown.

    1. An occasion today: its item for this year (rotation by year), even if it was shown recently.
    2. Otherwise, leaving out the items kept for an occasion in the coming year: never-used items first,
       the year's theme before the rest; once every item was used, the least recently used first.
    Ties are broken by a stable hash of (seed_key, day, item id).
    """
    pool = list(items)
    if not pool:
        raise ValueError("no content items to choose from")
    rotation = rotations(pool)
    forced = occasion_item(rotation, day)
    if forced is not None:
        return forced
    held = held_for_occasions(rotation, day)
    candidates = [i for i in pool if i.id not in held] or pool

    def rank(item: ContentItem) -> tuple[int, dt.date, int]:
        last = used.get(item.id)
        tier = 1 if theme_slugs.isdisjoint(item.themes) else 0
        return (0 if last is None else 1, last or dt.date.min, tier)

    ranked = [(rank(i), i) for i in candidates]
    best = min(r for r, _i in ranked)
    # Hash only the tied items: the check simulates years of days and must stay quick.
    return min((i for r, i in ranked if r == best), key=lambda i: _tiebreak(seed_key, day, i.id))


def simulate(
    items: Iterable[ContentItem],
    *,
    start: dt.date,
    days: int,
    seed_key: str = "simulation",
    theme_slugs: frozenset[str] = frozenset(),
) -> list[ContentItem]:
    """What one đảng bộ is shown on ``days`` consecutive days from ``start``, with the real chooser."""
    pool = list(items)
    used: dict[str, dt.date] = {}
    shown: list[ContentItem] = []
    for n in range(days):
        day = start + dt.timedelta(days=n)
        item = choose_item(pool, day=day, theme_slugs=set(theme_slugs), used=used, seed_key=seed_key)
        used[item.id] = day
        shown.append(item)
    return shown


@dataclass(frozen=True, slots=True)
class Repeats:
    """first_repeat: days shown before the first item comes back (None: no repeat);
    min_gap: the fewest days between two showings of one item (None: no repeat)."""

    first_repeat: int | None
    min_gap: int | None


def repeats(ids: Sequence[str]) -> Repeats:
    last: dict[str, int] = {}
    first: int | None = None
    gap: int | None = None
    for n, item_id in enumerate(ids):
        if item_id in last:
            first = n if first is None else first
            gap = n - last[item_id] if gap is None else min(gap, n - last[item_id])
        last[item_id] = n
    return Repeats(first, gap)
