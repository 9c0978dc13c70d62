"""Pick today's item: pure, deterministic, no repeats until everything was used."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

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


def occasions_on(day: dt.date) -> set[str]:
    """Occasion tags that apply on ``day``: its "MM-DD", plus "tet" on mùng 1 Tết."""
    tags = {day.strftime("%m-%d")}
    if TET_DATES.get(day.year) == day:
        tags.add(TET)
    return tags


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
    """Today's item for one chat (``seed_key``, e.g. the chat key).

    1. If any item is tagged for today's occasion, choose among those only.
    2. Otherwise never-used items come first, the year's theme before the rest;
       once every item was used, the least recently used comes first.
    Ties are broken by a stable hash of (seed_key, day, item id).
    """
    pool = list(items)
    if not pool:
        raise ValueError("no content items to choose from")
    today = occasions_on(day)
    occasion_items = [i for i in pool if today.intersection(i.occasions)]
    if occasion_items:
        pool = occasion_items

    def key(item: ContentItem) -> tuple[int, dt.date, int, bytes]:
        last = used.get(item.id)
        tier = 0 if theme_slugs.intersection(item.themes) else 1
        return (0 if last is None else 1, last or dt.date.min, tier, _tiebreak(seed_key, day, item.id))

    return min(pool, key=key)
