"""Onboarding through the real wire: join by code, approval, roles, expiry, cancel, restart."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.services.org import OrgService
from storage.models.people import Membership
from tests.conftest import join_member


async def test_start_in_vietnamese_and_menu_set(bot, fake_tg):
    lan = fake_tg.user(5001, "Trần Văn An")
    await lan.send("/start")
    msg = await lan.expect("Chào mừng đồng chí đến với", "mã tham gia")
    assert "<b>Học Bác mỗi ngày</b>" in msg.html
    commands = {c["command"] for cmds in fake_tg.commands.values() for c in cmds}
    assert {"start", "help", "toi", "huy"} - commands == {"huy"} or "start" in commands


async def test_join_by_deep_link_and_secretary_approves(bot, fake_tg, branch):
    an = fake_tg.user(5002, "Trần Văn An")
    code = await branch.join_code(bot)
    await an.send(f"/start {code}")
    await an.expect("đã được gửi tới bí thư", branch.name)
    # Until approved, the member reaches nothing of the branch.
    await an.send("/thanhvien")
    await an.expect("chỉ dành cho bí thư")
    request = await branch.secretary.expect("xin tham gia Chi bộ thôn 1", "Trần Văn An")
    assert request.buttons == ["✅ Duyệt", "❌ Từ chối"]
    await branch.secretary.press("Duyệt")
    await branch.secretary.expect("Đã duyệt: Trần Văn An")
    welcome = await an.expect("đã được duyệt")
    assert welcome.raw.reply_markup and "keyboard" in welcome.raw.reply_markup
    await branch.secretary.send("/thanhvien")
    await branch.secretary.expect("Đảng viên (2)", "Trần Văn An", "Nguyễn Thị Lan")


async def test_typed_code_and_reject(bot, fake_tg, branch):
    binh = fake_tg.user(5003, "Lê Bình")
    code = await branch.join_code(bot)
    await binh.send(" ".join(code[i:i + 4] for i in (0, 4)).lower())  # "abcd 2345": typed by hand
    await binh.expect("đã được gửi tới bí thư")
    await branch.secretary.expect("xin tham gia")
    await branch.secretary.press("Từ chối")
    await binh.expect("không được duyệt")


async def test_expired_and_revoked_codes(bot, fake_tg, branch, clock):
    chi = fake_tg.user(5004, "Phạm Chi")
    code = await branch.join_code(bot)
    clock.advance(timedelta(hours=bot.settings.join_code_ttl_hours + 1))
    await chi.send(f"/start {code}")
    await chi.expect("Mã này đã hết hạn")
    code2 = await branch.join_code(bot)
    await branch.secretary.send(f"/thuhoima {code2}")
    await branch.secretary.expect("đã bị thu hồi")
    await chi.send(f"/thamgia {code2}")
    await chi.expect("Mã này đã bị thu hồi")


async def test_wrong_codes_are_rate_limited(bot, fake_tg, branch):
    dung = fake_tg.user(5005, "Đỗ Dũng")
    fake_tg.limits.enabled = False
    for _ in range(bot.settings.join_max_failures):
        await dung.send("/thamgia ZZZZ2222")
        await dung.expect("Mã này không đúng")
    code = await branch.join_code(bot)
    await dung.send(f"/thamgia {code}")  # even a right code is refused while locked out
    await dung.expect("nhập sai mã quá nhiều lần")


async def test_member_cannot_act_as_secretary(bot, fake_tg, branch):
    an = await join_member(bot, fake_tg, branch, 5006, "Trần Văn An")
    await an.send("/mathamgia")
    await an.expect("chỉ dành cho bí thư")
    # A forged approve button from a member does nothing.
    assert bot.app is not None
    other = fake_tg.user(5007, "Người lạ")
    code = await branch.join_code(bot)
    await other.send(f"/start {code}")
    await other.expect("đã được gửi")
    req = await branch.secretary.expect("xin tham gia")
    forged = req.button_data[0][1]
    await an.press_data(forged, an.last)
    await an.expect("không có quyền")
    async with bot.app.db.session() as s:
        m = (await s.execute(select(Membership).where(Membership.person_id.is_not(None))
                             .order_by(Membership.id.desc()))).scalars().first()
        assert m is not None and m.status == "pending"


async def test_secretary_of_other_branch_cannot_approve(bot, fake_tg, branch):
    from tests.conftest import seed_branch

    other = await seed_branch(bot, fake_tg, org_name="Đảng bộ phường B", branch_name="Chi bộ khu 5",
                              secretary_id=9201, secretary_name="Vũ Minh")
    an = fake_tg.user(5008, "Trần Văn An")
    await an.send(f"/start {await branch.join_code(bot)}")
    req = await branch.secretary.expect("xin tham gia")
    await other.secretary.send("/help")
    own = await other.secretary.expect("Đồng chí có thể dùng")
    await other.secretary.press_data(req.button_data[0][1], own)  # forged onto a message of their own chat
    await other.secretary.expect("không có quyền")
    await branch.secretary.press("Duyệt", message=req)
    await an.expect("đã được duyệt")


async def test_help_shows_only_allowed_commands(bot, fake_tg, branch):
    an = await join_member(bot, fake_tg, branch, 5009, "Trần Văn An")
    await an.send("/help")
    member_help = await an.expect("Đồng chí có thể dùng")
    assert "/mathamgia" not in member_help.text and "/taodangbo" not in member_help.text
    await branch.secretary.send("/help")
    sec_help = await branch.secretary.expect("Đồng chí có thể dùng")
    assert "/mathamgia" in sec_help.text and "/taodangbo" not in sec_help.text


async def test_html_in_name_is_escaped_and_delivered(bot, fake_tg, branch):
    evil = fake_tg.user(5010, "<b>Tom & Jerry</b>")
    await evil.send(f"/start {await branch.join_code(bot)}")
    req = await branch.secretary.expect("xin tham gia")
    assert "<b>Tom & Jerry</b>" in req.text  # arrives intact as text
    assert fake_tg.stats["400"] == 0  # and nothing was rejected for bad HTML
    await branch.secretary.press("Duyệt")
    await evil.expect("đã được duyệt")
    await evil.send("/toi")
    await evil.expect("<b>Tom & Jerry</b>")


async def test_leave_and_erase(bot, fake_tg, branch):
    an = await join_member(bot, fake_tg, branch, 5011, "Trần Văn An")
    await an.send("/xoadulieu")
    await an.expect("Xoá dữ liệu của đồng chí?")
    await an.press("Đồng ý xoá dữ liệu")
    await an.expect("Dữ liệu của đồng chí đã được xoá")
    await branch.secretary.expect("Trần Văn An đã rời Chi bộ thôn 1", "xoá dữ liệu")
    assert bot.app is not None
    members = await bot.app.services.get(OrgService).members(branch.secretary_actor, branch.branch_id)
    assert [p.display_name for _m, p in members] == ["Nguyễn Thị Lan"]


async def test_unknown_command_and_free_text(bot, fake_tg):
    x = fake_tg.user(5012, "Khách")
    await x.send("/khonglenhnay")
    await x.expect("Không có lệnh /khonglenhnay")
    await x.send("xin chào")
    await x.expect("Vui lòng gửi mã tham gia")
    await x.send_sticker()
    await x.expect("chưa xử lý được loại tin nhắn này")


async def test_a_join_request_left_two_days_is_reminded_once_with_working_buttons(bot, fake_tg, branch, clock):
    binh = fake_tg.user(5031, "Lê Thị Bình")
    await binh.send(f"/start {await branch.join_code(bot)}")
    await binh.expect("đã được gửi tới bí thư")
    await branch.secretary.expect("xin tham gia", "Lê Thị Bình")
    clock.advance(timedelta(days=1))
    await bot.tick(only=["join_request_reminders"])
    await branch.secretary.expect_nothing(within=0.5)
    clock.advance(timedelta(days=1, hours=1))  # 10:00 two days later: not in the quiet hours
    await bot.tick(only=["join_request_reminders"])
    reminder = await branch.secretary.expect("Lê Thị Bình", "hơn hai ngày")
    assert reminder.buttons == ["✅ Duyệt", "❌ Từ chối"]
    clock.advance(timedelta(minutes=5))
    await bot.tick(only=["join_request_reminders"])
    await branch.secretary.expect_nothing(within=1.0)  # once, not every minute
    await branch.secretary.press("Duyệt", message=reminder)
    await branch.secretary.expect("Đã duyệt: Lê Thị Bình")
    await binh.expect("đã được duyệt")
