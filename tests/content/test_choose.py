from __future__ import annotations

import datetime as dt

import pytest

from bot.content.choose import TET_DATES, choose_item, occasions_on

from .conftest import make_item

DAY = dt.date(2026, 5, 10)


def pick(items, day=DAY, themes=frozenset(), used=None, seed="chat-1"):
    return choose_item(items, day=day, theme_slugs=set(themes), used=used or {}, seed_key=seed)


def pool(n: int, **kw):
    return [make_item(f"q{i}", f"câu {i}", **kw) for i in range(n)]


def test_occasion_wins_even_if_used():
    items = [*pool(5, themes=("doan-ket",)), make_item("qk", "độc lập", occasions=("09-02",))]
    day = dt.date(2026, 9, 2)
    assert pick(items, day=day, themes={"doan-ket"}, used={"qk": dt.date(2025, 9, 2)}).id == "qk"
    assert pick(items, day=dt.date(2026, 9, 3), themes={"doan-ket"}).id != "qk"


def test_tet_occasion():
    items = [*pool(3), make_item("tet", "mừng xuân", occasions=("tet",))]
    assert occasions_on(dt.date(2026, 2, 17)) == {"02-17", "tet"}
    assert pick(items, day=dt.date(2026, 2, 17)).id == "tet"
    assert pick(items, day=dt.date(2026, 2, 18)).id != "tet"
    assert TET_DATES[2030] == dt.date(2030, 2, 2)  # Vietnamese Tết, a day before Chinese New Year
    assert len(TET_DATES) == 12


def test_theme_next():
    items = [*pool(6), make_item("th", "theme item", themes=("hoc-tap",))]
    assert pick(items, themes={"hoc-tap"}).id == "th"


def test_no_repeats_until_all_used_then_lru():
    items = pool(5, themes=("x",))
    used: dict[str, dt.date] = {}
    seen = []
    for n in range(5):
        day = DAY + dt.timedelta(days=n)
        item = pick(items, day=day, used=used)
        seen.append(item.id)
        used[item.id] = day
    assert sorted(seen) == sorted(i.id for i in items)  # every item once
    # All used: the least recently used comes next, then the next oldest.
    assert pick(items, day=DAY + dt.timedelta(days=5), used=used).id == seen[0]
    used[seen[0]] = DAY + dt.timedelta(days=5)
    assert pick(items, day=DAY + dt.timedelta(days=6), used=used).id == seen[1]


def test_unused_other_beats_used_theme():
    items = [make_item("th", "a", themes=("t",)), make_item("other", "b")]
    assert pick(items, themes={"t"}, used={"th": DAY - dt.timedelta(days=1)}).id == "other"


def test_deterministic_and_seed_dependent():
    items = pool(30)
    first = pick(items, seed="chat-1")
    assert all(pick(list(reversed(items)), seed="chat-1").id == first.id for _ in range(3))
    assert len({pick(items, seed=f"chat-{n}").id for n in range(20)}) > 1
    assert len({pick(items, day=DAY + dt.timedelta(days=n)).id for n in range(20)}) > 1


def test_empty_pool():
    with pytest.raises(ValueError):
        pick([])
