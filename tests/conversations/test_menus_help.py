"""Fewer taps (issue 20, parts 5 and 6): the secretary's menu, /help by task with "Xem thêm", per-role "/"
menus on Telegram, the welcome's first steps and a join request that says more than a name."""

from __future__ import annotations

import asyncio

import pytest

from bot.services.org import OrgService
from tests.conftest import join_member

BOTH = pytest.mark.parametrize("channel", ["telegram", "zalo"])
DANGEROUS = ("/roi", "/xoadulieu")


def command_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("/")]


def keyboard(message) -> list[str]:
    """The labels of the persistent menu a Telegram message carries."""
    rows = ((message.raw.reply_markup or {}).get("keyboard")) or []
    return [b["text"] for row in rows for b in row]


async def test_secretary_menu_has_at_most_six_buttons_with_meetings_and_more(bot, fake_tg, branch):
    lan = branch.secretary
    await lan.send("/start")
    welcome = await lan.expect("Chào mừng")
    labels = keyboard(welcome)
    assert 1 < len(labels) <= 6, labels
    assert "📅 Họp chi bộ" in labels and "➕ Thêm" in labels
    await lan.send("📅 Họp chi bộ")  # a menu button sends its label
    await lan.expect("buổi sinh hoạt")  # the meeting form starts
    await lan.send("huỷ")
    await lan.send("➕ Thêm")
    more = await lan.expect("muốn làm gì")
    assert "✍️ Báo việc tốt" in more.buttons, more.buttons
    assert len(more.buttons) >= 5  # the rest of the jobs, one tap away


@BOTH
async def test_more_menu_is_numbered_choices_for_a_deputy(kit):
    """A deputy secretary (here on the test's channel) opens "Thêm" and picks by button or by number."""
    code = await kit.bot.app.services.get(OrgService).create_code(
        await _admin_actor(kit), kind="deputy", branch_id=kit.branch.branch_id)
    hoa = kit.user("5301", "Lê Thị Hoa")
    await hoa.send(code.code)
    await hoa.expect("phó bí thư")
    await hoa.send("them" if kit.channel == "zalo" else "➕ Thêm")
    more = await hoa.expect("muốn làm gì")
    if kit.channel == "zalo":
        assert "1." in more.text  # numbered choices
    await hoa.press("Thông tin")
    await hoa.expect("Lê Thị Hoa", kit.branch.name)  # /toi answered


async def _admin_actor(kit):
    from bot.messages import UserRef
    from bot.services.identity import IdentityService
    from tests.conftest import ADMIN_TG_ID

    return await kit.bot.app.services.get(IdentityService).resolve(
        UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))


@BOTH
async def test_member_help_is_short_grouped_and_the_rest_behind_see_more(kit):
    an = await kit.join("5302", "Trần Văn An")
    await an.send("/help")
    short = await an.expect("/homnay")
    lines = command_lines(short.text)
    assert 5 <= len(lines) <= 8, lines
    assert "Học tập mỗi ngày" in short.text  # grouped by task
    assert not any(d in short.text for d in DANGEROUS)  # nothing dangerous next to /homnay
    assert "Xem thêm" in " ".join(short.buttons) or "Xem thêm" in short.text
    await an.press("Xem thêm")
    more = await an.expect("Dữ liệu và tài khoản")
    assert all(d in more.text for d in DANGEROUS)
    # The dangerous ones sit under the "Dữ liệu và tài khoản" heading, below every other task.
    tail = more.text.split("Dữ liệu và tài khoản", 1)[1]
    assert all(d in tail for d in DANGEROUS)
    assert "/homnay" not in more.text  # the short part is not repeated


async def test_help_per_role_has_five_to_eight_lines(bot, fake_tg, branch):
    await join_member(bot, fake_tg, branch, 5303, "Phạm Văn Bình")
    await branch.secretary.send("/help")
    sec = await branch.secretary.expect("/duyet")
    assert 5 <= len(command_lines(sec.text)) <= 8, sec.text
    assert "/hop" in sec.text and "/mathamgia" in sec.text
    assert not any(d in sec.text for d in DANGEROUS)
    # A committee administrator (invited by the system admin).
    org_svc = bot.app.services.get(OrgService)
    admin = await _admin_actor_bot(bot)
    invite = await org_svc.create_code(admin, kind="committee_admin", org_id=branch.org_id)
    minh = fake_tg.user(5304, "Đỗ Văn Minh")
    await minh.send(f"/start {invite.code}")
    await minh.expect("quản trị")
    await minh.send("/help")
    com = await minh.expect("/taochibo")
    assert 5 <= len(command_lines(com.text)) <= 8, com.text
    assert not any(d in com.text for d in DANGEROUS)
    await minh.press("Xem thêm")
    await minh.expect("Dữ liệu và tài khoản")


async def _admin_actor_bot(bot):
    from bot.messages import UserRef
    from bot.services.identity import IdentityService
    from tests.conftest import ADMIN_TG_ID

    return await bot.app.services.get(IdentityService).resolve(
        UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))


def scoped(fake_tg, scope: str) -> set[str]:
    return {c["command"] for c in fake_tg.commands.get((scope, ""), [])}


async def test_command_menus_per_scope(bot, fake_tg, branch):
    default = scoped(fake_tg, "default")
    assert "homnay" in default and "viectot" in default
    assert not default & {"duyet", "hop", "thongbao", "taochibo"}  # members never see the managers' commands
    # The secretary got her own list when the invite made her secretary.
    sec = scoped(fake_tg, f"chat:{branch.secretary.id}")
    assert {"duyet", "hop", "thongbao", "homnay"} <= sec
    # A member's approval leaves the member on the default list (their chat's own list is removed).
    an = await join_member(bot, fake_tg, branch, 5305, "Trần Văn An")
    # The menu is set after the approval's transaction, racing the sender's notice to the member: wait for it.
    for _ in range(100):
        calls = [c for c in fake_tg.command_calls if c[1] == f"chat:{an.id}"]
        if calls:
            break
        await asyncio.sleep(0.05)
    assert calls and calls[-1][0] == "deleteMyCommands", fake_tg.command_calls
    # Promoted by a deputy invite: now the chat has the managers' list.
    invite = await bot.app.services.get(OrgService).create_code(
        await _admin_actor_bot(bot), kind="deputy", branch_id=branch.branch_id)
    await an.send(f"/thamgia {invite.code}")
    await an.expect("phó bí thư")
    assert {"duyet", "hop"} <= scoped(fake_tg, f"chat:{an.id}")
    # At start-up the known managers' lists are set again (a new bot token, a cleared list).
    fake_tg.commands.clear()
    await bot.restart()
    assert {"duyet", "hop"} <= scoped(fake_tg, f"chat:{branch.secretary.id}")
    assert {"duyet", "hop"} <= scoped(fake_tg, f"chat:{an.id}")
    assert "duyet" not in scoped(fake_tg, "default")


@BOTH
async def test_welcome_lists_three_first_steps_and_request_shows_details(kit):
    an = kit.user("5306", "Trần Văn An")
    code = await kit.branch.join_code(kit.bot)
    await an.send(code)
    await an.expect("đã được gửi tới bí thư")
    request = await kit.branch.secretary.expect("xin tham gia", "Trần Văn An")
    # Who handed out the code, when the request came, and the code's last digits (no internal id).
    assert "Nguyễn Thị Lan" in request.text
    assert "02/03/2026" in request.text and "09:00" in request.text
    assert f"…{code[-4:]}" in request.text
    # The list of waiting requests says the same.
    await kit.branch.secretary.send("/choduyet")
    listed = await kit.branch.secretary.expect("Trần Văn An", "Nguyễn Thị Lan", f"…{code[-4:]}")
    assert "02/03/2026" in listed.text
    await kit.branch.secretary.press("Duyệt", message=request)
    welcome = await an.expect("đã được duyệt")
    for step in ("/homnay", "/dangky", "/viectot"):
        assert step in welcome.text
    assert "đồng chí" in welcome.text
