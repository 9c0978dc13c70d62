"""A year without repeats: the real chooser simulated over years of days, occasions rotating by year, and
the occasions docs/daily.md promises."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from bot.content.choose import (
    PROMISED_OCCASIONS,
    TET_DATES,
    YEAR_DAYS,
    choose_item,
    occasion_allowance,
    occasions_on,
    repeats,
    simulate,
    spacing_promise,
)
from bot.content.cli import check_main
from bot.content.loader import load_library

from .conftest import make_item

DOCS = Path(__file__).resolve().parents[2] / "docs" / "daily.md"

# Corpus v2's ship counts per occasion; one item carries both 3/2 and Tết, as in v2.
V2_OCCASIONS = {"02-03": 4, "03-08": 1, "03-27": 2, "05-19": 6, "06-01": 2, "06-11": 2, "07-27": 1,
                "08-19": 1, "09-02": 3, "10-13": 1, "10-15": 4, "10-20": 3, "12-22": 3, "tet": 7}


def occasion_items():
    items = [make_item(f"{tag}-{n}", f"dịp {tag} {n}", occasions=(tag,))
             for tag, k in V2_OCCASIONS.items() for n in range(k)]
    return [*items, make_item("tet-and-3-2", "tết trồng cây", occasions=("02-03", "tet"))]


def library(size: int, with_occasions: bool = True):
    base = occasion_items() if with_occasions else []
    return [*base, *(make_item(f"q{n:03d}", f"câu {n}") for n in range(size - len(base)))]


def shown_ids(items, start: dt.date, years: int = 3) -> list[str]:
    return [i.id for i in simulate(items, start=start, days=years * YEAR_DAYS)]


def test_365_plain_items_no_repeat_within_365_days():
    items = library(365, with_occasions=False)
    seen = repeats(shown_ids(items, dt.date(2026, 3, 1)))
    assert seen.first_repeat == 365
    assert seen.min_gap is not None and seen.min_gap >= 365


def test_occasions_never_bring_an_item_back_within_a_year():
    """365 items free of the coming year's occasions (N - A >= 365): no repeat within 365 days, although
    41 items are tied to occasions, one to two of them. The old chooser showed an occasion item on an
    ordinary day and again on its date a few weeks later."""
    allowance = occasion_allowance(occasion_items())
    assert allowance == 15  # 14 occasions, Tết twice
    items = library(YEAR_DAYS + allowance)
    for start in (dt.date(2026, 1, 1), dt.date(2026, 6, 15)):
        ids = shown_ids(items, start)
        seen = repeats(ids)
        assert seen.min_gap is not None and seen.min_gap >= YEAR_DAYS, (start, seen)
        # Every occasion day of those years shows an item of that occasion.
        by_id = {i.id: i for i in items}
        for n, item_id in enumerate(ids):
            day = start + dt.timedelta(days=n)
            tags = occasions_on(day).intersection(V2_OCCASIONS)
            if tags:
                assert tags.intersection(by_id[item_id].occasions), (day, item_id)


def test_fewer_items_repeat_as_late_as_possible():
    """Fewer than 365 items: the first repeat comes after N - A days at the earliest (A items are kept for
    the coming occasions), and any two showings stay N - A days apart."""
    items = library(300)
    n, allowance = len(items), occasion_allowance(items)
    for start in (dt.date(2026, 1, 1), dt.date(2026, 9, 3)):
        seen = repeats(shown_ids(items, start))
        assert seen.first_repeat is not None and n - allowance <= seen.first_repeat <= n, (start, seen)
        assert seen.min_gap is not None and seen.min_gap >= n - allowance == spacing_promise(items)


def test_shipped_library_first_repeat_is_the_most_it_can_be():
    items = load_library().all()
    n = len(items)
    promise = spacing_promise(items)
    assert promise >= n - occasion_allowance(items)
    for start in (dt.date(2027, 1, 1), dt.date(2027, 7, 1)):
        seen = repeats(shown_ids(items, start))
        if n - occasion_allowance(items) >= YEAR_DAYS:
            assert seen.min_gap is None or seen.min_gap >= YEAR_DAYS
            continue
        assert seen.first_repeat is not None and n - occasion_allowance(items) <= seen.first_repeat <= n
        assert seen.min_gap is not None and seen.min_gap >= promise, (start, seen)


def test_occasion_items_rotate_by_year_the_same_in_every_dang_bo():
    items = library(40)
    may19 = sorted(i.id for i in items if "05-19" in i.occasions)
    picks = {}
    for year in range(2026, 2032):
        day = dt.date(year, 5, 19)
        chosen = {choose_item(items, day=day, theme_slugs=set(), used={}, seed_key=f"org:{o}").id
                  for o in range(5)}
        assert chosen == {may19[year % len(may19)]}  # year N shows item N mod k, whatever the đảng bộ
        picks[year] = chosen.pop()
    assert all(picks[y] != picks[y + 1] for y in range(2026, 2031))  # consecutive years differ
    assert len(set(picks.values())) == len(may19)  # and all six take their turn


def test_an_item_of_two_occasions_is_not_shown_twice_in_one_season():
    """"tet-and-3-2" rotates under Tết only: it never shows on 3/2 and again on a Tết days away."""
    items = library(60)
    days = []
    for year in TET_DATES:
        for day in (dt.date(year, 2, 3), TET_DATES[year]):
            if choose_item(items, day=day, theme_slugs=set(), used={}, seed_key="x").id == "tet-and-3-2":
                days.append(day)
    assert days and all(d == TET_DATES[d.year] for d in days)


def test_shipped_library_rotates_every_shared_occasion():
    items = load_library().all()
    shared = {t for t in PROMISED_OCCASIONS if sum(t in i.occasions for i in items) >= 2}
    assert shared  # Tết at least
    for tag in shared:
        days = ([TET_DATES[y] for y in (2027, 2028)] if tag == "tet" else
                [dt.date(y, int(tag[:2]), int(tag[3:])) for y in (2027, 2028)])
        a, b = (choose_item(items, day=d, theme_slugs=set(), used={}, seed_key="org:1") for d in days)
        assert tag in a.occasions and tag in b.occasions and a.id != b.id, tag


def _docs_promised() -> list[str]:
    match = re.search(r"\*\*Occasions with an item:\*\*\s*(.+?)\.\n", DOCS.read_text(encoding="utf-8"),
                      re.DOTALL)
    assert match, "docs/daily.md lost its list of occasions"
    return [p.strip() for p in match.group(1).replace("\n", " ").split(",")]


def test_docs_promise_exactly_the_code_list():
    assert sorted(_docs_promised()) == sorted(PROMISED_OCCASIONS.values())


def test_every_promised_occasion_has_a_shipped_item():
    items = load_library().all()
    missing = [label for tag, label in PROMISED_OCCASIONS.items() if not any(tag in i.occasions for i in items)]
    assert missing == []


def _write_library(tmp_path: Path, items) -> Path:
    import yaml

    rows = [{"id": i.id, "kind": i.kind, "text": i.text, "source_url": i.source_url, "work": i.work,
             "themes": ["doan-ket"], **({"occasions": list(i.occasions)} if i.occasions else {})}
            for i in items]
    (tmp_path / "lib.yaml").write_text(yaml.safe_dump(rows, allow_unicode=True), encoding="utf-8")
    return tmp_path


def test_check_prints_the_simulated_first_repeat(tmp_path, capsys):
    items = library(120)
    assert check_main(_write_library(tmp_path, items), promised=PROMISED_OCCASIONS) == 0
    out = capsys.readouterr().out
    loaded = load_library(tmp_path).all()
    seen = repeats([i.id for i in simulate(loaded, start=dt.date(2027, 1, 1), days=3 * YEAR_DAYS)])
    assert f"first repeat after {seen.first_repeat} days" in out
    assert f"ít nhất {seen.min_gap} ngày" in out
    assert "Mục theo dịp: mùng 1 Tết 8, 3/2 5, 8/3 1" in out


def test_check_fails_when_a_promised_occasion_has_no_item(tmp_path, capsys):
    items = [i for i in library(120) if "05-19" not in i.occasions]
    assert check_main(_write_library(tmp_path, items), promised=PROMISED_OCCASIONS) == 1
    out = capsys.readouterr().out
    assert "không có mục nào cho dịp 19/5 (05-19)" in out
    assert "first repeat" not in out
