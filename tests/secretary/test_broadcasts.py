"""Broadcasts through the fake Bot API: compose, preview, count, progress, blocked, schedule, cancel, acks."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.features.broadcasts.models import Broadcast
from bot.services.outbox import counts_by_status
from storage.models.outbox import OutboxMessage
from storage.models.system import AuditLog
from tests.conftest import join_member
from tests.secretary.helpers import seed_members


async def _compose(sec, text: str, audience: str = "Toàn chi bộ", ack: bool = False) -> None:
    await sec.send("📣 Gửi thông báo")
    await sec.expect("Gõ nội dung thông báo", "4.096")
    await sec.send(text)
    await sec.expect("Gửi cho ai?")
    await sec.press(audience)
    await sec.expect("Khi nào gửi?")
    await sec.press("Gửi ngay")
    await sec.expect("Thêm nút")
    await sec.press("Có" if ack else "Không")


async def _final(fake_tg, sec, within: float):  # type: ignore[no-untyped-def]
    def done() -> bool:
        return any("đã gửi xong" in e.text for e in fake_tg.events_for(sec.id))

    await fake_tg.wait_for(done, timeout=within)
    return next(e for e in reversed(fake_tg.events_for(sec.id)) if "đã gửi xong" in e.text)


async def _broadcast_many(bot, fake_tg, branch, n: int) -> None:
    people = await seed_members(bot, fake_tg, branch.branch_id, 700_000, n)
    blocked = [700_000 + i for i in (3, 17, 42)]
    for uid in blocked:
        fake_tg.block(uid)
    sec = branch.secretary
    await _compose(sec, "Họp chi bộ tối thứ Sáu, 19:30 tại nhà văn hoá.")
    await sec.expect("Xem trước", "đảng viên sẽ nhận đúng như sau")
    preview = await sec.expect("Thông báo của Chi bộ thôn 1", "Họp chi bộ tối thứ Sáu")
    confirm = await sec.expect(f"Gửi cho {n + 1} đảng viên?")  # the members and the secretary
    assert preview.message_id != confirm.message_id
    await sec.press("📣 Gửi")
    final = await _final(fake_tg, sec, within=n / 25 + 20)
    # One progress message edited in place: the confirm message became it.
    assert final.kind == "edit" and final.record.message_id == confirm.message_id
    assert f"Đã gửi tới: {n + 1 - 3}" in final.text
    assert "Không liên lạc được (đã chặn bot hoặc chưa bắt đầu trò chuyện): 3" in final.text
    assert "• Lỗi: 0" in final.text
    edits = [e for e in fake_tg.events_for(sec.id) if e.kind == "edit" and e.record is final.record]
    assert len(edits) >= 3  # live progress, not only the final state
    assert any("Đang gửi thông báo" in e.text and f"/{n + 1}" in e.text for e in edits)
    # Progress edits stay well within one per second for the secretary's chat.
    times = [edit["timestamp"] for edit in final.record.edits[1:]]
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(times))
    # Every member got exactly one notice; blocked ones none.
    got = [uid for uid in range(700_000, 700_000 + n) if fake_tg.messages_for(uid)]
    assert len(got) == n - 3 and not set(got) & set(blocked)
    assert all(len(fake_tg.messages_for(uid)) == 1 for uid in got)
    assert fake_tg.stats.get("sent", 0) > 0
    async with bot.app.db.session() as s:
        b = (await s.execute(select(Broadcast))).scalars().one()
        assert b.status == "done" and b.total == n + 1
        counts = await counts_by_status(s, f"broadcast:{b.id}")
        assert counts == {"sent": n - 2, "unreachable": 3}
        audit = (await s.execute(select(AuditLog).where(AuditLog.action == "broadcast.send"))).scalars().one()
        assert audit.details["size"] == n + 1 and audit.actor_person_id == branch.secretary_actor.person_id
    assert len(people) == n


async def test_broadcast_200_members_with_progress_and_blocked(bot, fake_tg, branch):
    await _broadcast_many(bot, fake_tg, branch, 200)


@pytest.mark.slow
async def test_broadcast_500_members_under_rate_limit(bot, fake_tg, branch):
    await _broadcast_many(bot, fake_tg, branch, 500)


async def test_empty_and_too_long_notice_refused_with_limit(bot, fake_tg, branch):
    sec = branch.secretary
    await sec.send("/thongbao")
    await sec.expect("Gõ nội dung thông báo")
    await sec.send("x" * (4096 * 4 + 1))
    await sec.expect("Thông báo quá dài (16.385 ký tự). Giới hạn là 16.384 ký tự.")
    await sec.send("y" * 5000)
    await sec.expect("dài hơn 4.096 ký tự", "nhiều tin nhắn")
    await sec.press("Không")
    await sec.expect("Gõ nội dung thông báo")


async def test_member_cannot_broadcast(bot, fake_tg, branch):
    an = await join_member(bot, fake_tg, branch, 5101, "Trần Văn An")
    await an.send("/thongbao")
    await an.expect("chỉ dành cho bí thư")
    sec = branch.secretary
    await _compose(sec, "Thông báo thử")
    confirm = await sec.expect("Gửi cho 2 đảng viên?")
    data = confirm.button_data[0][1]
    await an.press_data(data, an.last)  # a forged "send" from a member
    await an.expect("không có quyền")
    async with bot.app.db.session() as s:
        assert (await s.execute(select(Broadcast))).scalars().one().status == "draft"


async def test_scheduled_then_cancelled_and_scheduled_sent(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    await seed_members(bot, fake_tg, branch.branch_id, 710_000, 5)
    sec = branch.secretary
    # 1) scheduled and cancelled before it is due: nothing goes out.
    await sec.send("/thongbao")
    await sec.expect("Gõ nội dung")
    await sec.send("Thông báo hẹn giờ sẽ bị huỷ")
    await sec.expect("Gửi cho ai?")
    await sec.press("Toàn chi bộ")
    await sec.expect("Khi nào gửi?")
    await sec.press("Hẹn giờ gửi")
    await sec.expect("Đồng chí gõ giờ và ngày gửi, ví dụ: 11:00 02/03/2026")
    await sec.send("08:00 01/03")  # a day already passed
    await sec.expect("Ngày 01/03/2026 đã qua")
    await sec.send("8h 02/03")  # today, an hour already passed
    await sec.expect("Thời điểm đó đã qua")
    await sec.send("11:00 02/03")
    await sec.expect("Thêm nút")
    await sec.press("Không")
    await sec.expect("Gửi cho 6 đảng viên lúc 11:00 02/03/2026?")
    await sec.press("📣 Gửi")
    await sec.expect("sẽ được gửi cho 6 đảng viên lúc 11:00")
    await sec.press("Huỷ thông báo này")
    await sec.expect("Đã huỷ", "chưa gửi: 6")
    # 2) scheduled and sent when due.
    await sec.send("/thongbao")
    await sec.expect("Gõ nội dung")
    await sec.send("Thông báo hẹn giờ")
    await sec.expect("Gửi cho ai?")
    await sec.press("Toàn chi bộ")
    await sec.expect("Khi nào gửi?")
    await sec.press("Hẹn giờ gửi")
    await sec.expect("Đồng chí gõ giờ và ngày gửi, ví dụ: 11:00 02/03/2026")
    await sec.send("10:30 02/03")
    await sec.expect("Thêm nút")
    await sec.press("Có")
    await sec.expect("Gửi cho 6 đảng viên lúc 10:30 02/03/2026?")
    await sec.press("📣 Gửi")
    await sec.expect("sẽ được gửi cho 6 đảng viên lúc 10:30")
    await sec.expect_nothing(0.3)
    assert not fake_tg.messages_for(710_000)
    clock.advance(timedelta(hours=1, minutes=31))
    await bot.tick()
    await bot.drain()
    final = await _final(fake_tg, sec, within=10)
    assert "Đã gửi tới: 6" in final.text
    got = [m.visible for m in fake_tg.messages_for(710_000)]
    assert got == [got[0]] and "Thông báo hẹn giờ" in got[0] and "sẽ bị huỷ" not in got[0]
    async with bot.app.db.session() as s:
        rows = (await s.execute(select(Broadcast).order_by(Broadcast.id))).scalars().all()
        assert [b.status for b in rows] == ["cancelled", "done"]
        cancelled = await counts_by_status(s, "broadcast:1")
        assert cancelled == {"cancelled": 6}


async def test_running_broadcast_cancelled_keeps_sent_rows(bot, fake_tg, branch):
    await seed_members(bot, fake_tg, branch.branch_id, 720_000, 120)
    sec = branch.secretary
    await _compose(sec, "Thông báo dài danh sách")
    await sec.expect("Gửi cho 121 đảng viên?")
    await sec.press("📣 Gửi")
    await fake_tg.wait_for(lambda: fake_tg.stats["sent"] > 40, timeout=10)
    progress = await sec.expect("Đang gửi thông báo")
    await sec.press("Dừng gửi", message=progress)
    reply = await sec.expect("Đã huỷ. Đã gửi trước khi huỷ")
    async with bot.app.db.session() as s:
        counts = await counts_by_status(s, "broadcast:1")
    assert counts.get("cancelled", 0) > 0 and counts.get("sent", 0) > 0
    assert sum(counts.values()) == 121
    delivered = sum(1 for uid in range(720_000, 720_120) if fake_tg.messages_for(uid))
    await sec.expect_nothing(1.0)
    assert delivered <= counts["sent"] + counts.get("sending", 0)
    assert "Đã huỷ" in reply.text


async def test_acknowledgements_and_one_nudge(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5201, "Trần Văn An")
    binh = await join_member(bot, fake_tg, branch, 5202, "Lê Bình")
    sec = branch.secretary
    await _compose(sec, "Đề nghị các đồng chí đọc Chỉ thị 05", ack=True)
    await sec.expect("Gửi cho 3 đảng viên?")
    await sec.press("📣 Gửi")
    notice = await an.expect("Đề nghị các đồng chí đọc Chỉ thị 05")
    assert notice.buttons == ["Đã nhận ✓"]
    await binh.expect("Đề nghị các đồng chí đọc Chỉ thị 05")
    await an.press("Đã nhận ✓")
    await an.expect("Cảm ơn đồng chí đã xác nhận")
    # The answered notice shows the answer and has no button left; its old button, replayed, counts once.
    assert an.current(notice).buttons == [] and "→ Đã nhận ✓" in an.current(notice).text
    await an.press_data(dict(notice.button_data)["Đã nhận ✓"], notice)
    await an.expect("Đồng chí đã xác nhận rồi")
    final = await _final(fake_tg, sec, within=10)
    await sec.press("Ai chưa xác nhận", message=sec.current(sec._last_with_buttons(sec.chat_key)))
    listing = await sec.expect("1 người đã xác nhận, 2 người chưa")
    assert "Lê Bình" in listing.text and "Trần Văn An" not in listing.text
    await sec.press("Nhắc những người này một lần", message=listing)
    await sec.expect("Đã gửi lời nhắc tới 2 đảng viên")
    await binh.expect("Nhắc lại: đề nghị đồng chí xác nhận")
    await an.expect_nothing(0.5)
    await sec.press_data(listing.button_data[0][1], listing)
    await sec.expect("đã nhắc một lần rồi")
    # The "not confirmed the last notice" audience now holds exactly the two who did not confirm.
    await sec.send("/thongbao")
    await sec.expect("Gõ nội dung")
    await sec.send("Lần hai")
    await sec.expect("Gửi cho ai?")
    await sec.press("Những người chưa xác nhận thông báo gần nhất")
    await sec.expect("Khi nào gửi?")
    await sec.press("Gửi ngay")
    await sec.expect("Thêm nút")
    await sec.press("Không")
    await sec.expect("Gửi cho 2 đảng viên?")
    assert final is not None
    async with bot.app.db.session() as s:
        keys = (
            await s.execute(select(OutboxMessage.key).where(OutboxMessage.kind == "broadcast_nudge"))
        ).all()
        assert len(keys) == 2
