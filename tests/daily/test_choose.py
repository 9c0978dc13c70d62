"""Choosing today's item: occasion first, then the year theme, no repeats within a đảng bộ, one item per
branch per day (stored)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

import bot.features.daily.catalog as catalog_mod
import bot.features.daily.delivery as delivery_mod
from bot.content import occasions_on
from bot.features.daily.catalog import shipped_items
from bot.features.daily.delivery import DailyDelivery
from bot.features.daily.library import DailyLibrary
from bot.features.daily.models import DailyChoice
from bot.services.errors import PermissionDenied
from bot.services.org import OrgService
from tests.conftest import seed_branch
from tests.daily.conftest import committee_admin


def _svc(bot) -> DailyDelivery:  # type: ignore[no-untyped-def]
    return bot.app.services.get(DailyDelivery)


def _library(bot) -> DailyLibrary:  # type: ignore[no-untyped-def]
    return bot.app.services.get(DailyLibrary)


async def test_occasion_wins_on_2_september_and_tet(bot, branch):
    svc = _svc(bot)
    for day in (date(2026, 9, 2), date(2026, 2, 17)):
        today = await svc.today_for_branch(branch.branch_id, day)
        assert occasions_on(day).intersection(today.item.occasions), (day, today.item.id)


async def test_year_theme_comes_before_the_rest_and_shows_in_header(bot, fake_tg, branch):
    _user, admin = await committee_admin(bot, fake_tg, branch)
    svc = _svc(bot)
    await _library(bot).set_theme(admin, branch.org_id, "Học tập và làm theo Bác về tinh thần tự học", ["giao-duc"])
    # A plain day (no occasion): the first items chosen all carry the theme's topic.
    for offset in range(3):
        today = await svc.today_for_branch(branch.branch_id, date(2026, 3, 10) + timedelta(days=offset))
        assert "giao-duc" in today.item.themes
        assert today.header is not None and "tinh thần tự học" in today.header


async def test_no_repeat_until_all_used_then_least_recently_used(bot, branch, monkeypatch):
    pool = tuple(i for i in shipped_items() if not i.occasions)[:4]
    monkeypatch.setattr(catalog_mod, "shipped_items", lambda: pool)
    monkeypatch.setattr(delivery_mod, "shipped_items", lambda: pool)
    svc = _svc(bot)
    start = date(2026, 3, 10)
    picked = [(await svc.today_for_branch(branch.branch_id, start + timedelta(days=n))).item.id
              for n in range(8)]
    assert sorted(picked[:4]) == sorted(i.id for i in pool)  # every item once before any repeat
    assert picked[4:] == picked[:4]  # then the least recently used comes first


async def test_same_item_for_the_branch_all_day_and_stored(bot, fake_tg, branch):
    assert bot.app is not None
    svc = _svc(bot)
    day = date(2026, 3, 11)
    first = await svc.today_for_branch(branch.branch_id, day)
    # A theme set later that day does not change what the branch already got.
    _user, admin = await committee_admin(bot, fake_tg, branch)
    other_topic = next(t for t in ("thanh-nien", "lao-dong", "giao-duc") if t not in first.item.themes)
    await _library(bot).set_theme(admin, branch.org_id, "Chuyên đề mới", [other_topic])
    again = await svc.today_for_branch(branch.branch_id, day)
    assert again.item.id == first.item.id
    # A second branch of the same đảng bộ reads the same item that day.
    second = await bot.app.services.get(OrgService).create_branch(admin, branch.org_id, "Chi bộ thôn 2")
    assert (await svc.today_for_branch(second.id, day)).item.id == first.item.id
    async with bot.app.db.session() as s:
        rows = (await s.execute(select(DailyChoice).where(DailyChoice.day == day))).scalars().all()
    chosen = {r.branch_id: r.item_id for r in rows}
    assert chosen == {branch.branch_id: first.item.id, second.id: first.item.id}


async def test_member_cannot_set_the_theme(bot, fake_tg, branch):
    from tests.conftest import join_member

    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5101, "Trần Văn An")
    await an.send("/chuyende dat Chuyên đề tự đặt | dao-duc")
    await an.expect("Chỉ quản trị viên đảng bộ")
    # The service refuses too (a secretary is not a committee admin), whatever the handler does.
    try:
        await _library(bot).set_theme(branch.secretary_actor, branch.org_id, "x", [])
    except PermissionDenied:
        pass
    else:
        raise AssertionError("a secretary set the year theme")
    # A committee admin of another đảng bộ cannot set this one's theme either.
    other = await seed_branch(bot, fake_tg, org_name="Đảng bộ phường B", branch_name="Chi bộ khu 5",
                              secretary_id=9202, secretary_name="Vũ Minh")
    _u, other_admin = await committee_admin(bot, fake_tg, other, user_id=9302, name="Lý Thị Mai")
    try:
        await _library(bot).set_theme(other_admin, branch.org_id, "x", [])
    except PermissionDenied:
        pass
    else:
        raise AssertionError("another đảng bộ's admin set this theme")
    await an.send("/chuyende")
    await an.expect("chưa đặt chuyên đề năm 2026")


async def test_committee_admin_sets_theme_in_chat(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    user, _admin = await committee_admin(bot, fake_tg, branch)
    await user.send("/chuyende dat Tự lực, tự cường | cần kiệm liêm chính, dao-duc")
    await user.expect("Đã lưu chuyên đề năm 2026", "Tự lực, tự cường")
    await user.send("/chuyende")
    # Topics read as their Vietnamese names, never as slugs.
    reply = await user.expect("Chuyên đề năm 2026", "Tự lực, tự cường", "Cần, kiệm, liêm, chính; Đạo đức cách mạng")
    assert "can-kiem-liem-chinh" not in reply.text and "dao-duc" not in reply.text
    # The names as shown are accepted when setting.
    await user.send("/chuyende dat Dân vận khéo | Dân vận; Cần, kiệm, liêm, chính")
    await user.expect("Đã lưu chuyên đề năm 2026")
    await user.send("/chuyende")
    await user.expect("Dân vận; Cần, kiệm, liêm, chính")
    await user.send("/chuyende dat Sai chủ đề | khong-co-chu-de-nay")
    await user.expect("Chủ đề không có")


async def test_a_year_of_days_through_the_database_keeps_items_apart(bot, branch, monkeypatch):
    """The real delivery path (stored usage, per-đảng-bộ history) over a year and more: occasions show their
    own item and take turns by year, and two readings of an item are never closer than the chooser
    promises (N items minus the A kept for occasions); the old chooser put an occasion item on an
    ordinary day weeks before its date."""
    from bot.content.choose import TET_DATES, occasion_allowance, repeats, spacing_promise
    from tests.content.conftest import make_item

    plain = tuple(i for i in shipped_items() if not i.occasions)[:16]
    extra = (make_item("sinh-nhat-a", "a", occasions=("05-19",)), make_item("sinh-nhat-b", "b", occasions=("05-19",)),
             make_item("quoc-khanh", "c", occasions=("09-02",)),
             make_item("tet-a", "d", occasions=("tet",)), make_item("tet-b", "e", occasions=("tet",)))
    pool = (*plain, *extra)
    monkeypatch.setattr(catalog_mod, "shipped_items", lambda: pool)
    monkeypatch.setattr(delivery_mod, "shipped_items", lambda: pool)
    svc = _svc(bot)
    start = date(2026, 5, 15)
    days = [start + timedelta(days=n) for n in range(380)]  # two 19/5, a 2/9 and a Tết
    ids = [(await svc.today_for_branch(branch.branch_id, d)).item.id for d in days]
    by_day = dict(zip(days, ids, strict=True))
    seen = repeats(ids)
    assert occasion_allowance(pool) == 4 and spacing_promise(pool) == len(pool) - 4
    assert seen.first_repeat is not None and seen.first_repeat >= len(pool) - 4
    assert seen.min_gap is not None and seen.min_gap >= spacing_promise(pool)
    assert {by_day[date(2026, 5, 19)], by_day[date(2027, 5, 19)]} == {"sinh-nhat-a", "sinh-nhat-b"}
    assert by_day[date(2026, 9, 2)] == "quoc-khanh"
    assert by_day[TET_DATES[2027]] == ("tet-a", "tet-b")[2027 % 2]
    assert "quoc-khanh" not in ids[: (date(2026, 9, 2) - start).days]  # kept for its date
