"""Secretaries review: the daily digest, accept / commend / return, accept all, the group post, stale
reminders, forged and replayed buttons, recording on a member's behalf, nominations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from bot.features.deeds.callbacks import AcceptAll, EditDeed, RecordForMember, ReviewDeed, WithdrawDeed
from bot.features.deeds.digest import DeedDigest
from bot.features.deeds.models import Deed
from bot.features.deeds.reporting import DeedInput, DeedReporting
from bot.features.deeds.review import DeedReviewing
from bot.services.identity import IdentityService
from storage.models.org import Branch
from storage.models.outbox import OutboxMessage
from tests.conftest import TZ, join_member, seed_branch
from tests.deeds.conftest import PHOTO, PHOTO_KEY, add_phoneless_member, deeds


async def _report(an, text: str, photo: bytes | None = None) -> None:
    if photo:
        await an.send_photo(photo, caption=text)
    else:
        await an.send(f"#viectot {text}")
    await an.expect("Ghi nhận đây là việc tốt?")
    await an.press("Có, ghi nhận")
    await an.expect("Việc tốt đã được lưu")


async def _wait_for(fake_tg, user, *fragments: str, n: int = 1):
    """The bot messages in ``user``'s chat containing every fragment, once ``n`` of them exist (digest rows
    are sent concurrently, so their order is not asserted)."""

    def found():
        return [m for m in user.bot_events(user.chat_key) if all(f in m.text for f in fragments)]

    await fake_tg.wait_for(lambda: len(found()) >= n, timeout=5)
    return found()


async def test_daily_digest_once_with_photo_and_accept_all(bot, fake_tg, branch, an, clock):
    sec = branch.secretary
    await _report(an, "Sửa giúp bà Hai cái quạt điện", PHOTO)
    await _report(an, "Chở cụ Bảy đi chợ phiên")
    await sec.expect_nothing(within=0.3)  # never one ping per deed
    clock.set(datetime(2026, 3, 2, 19, 0, tzinfo=TZ))
    await bot.tick(only=["deeds_digest"])
    # One summary, not a card per deed with its photo: "2 are waiting", a button opens them.
    summary = await sec.expect("Còn 2 việc tốt chờ duyệt", "Trần Văn An (2)")
    assert not summary.photo and summary.buttons == ["🗂 Mở để duyệt", "✅ Ghi nhận tất cả"]
    await bot.drain()
    await sec.expect_nothing(within=0.2)
    await sec.press("Mở để duyệt", message=summary)
    card = await sec.expect("Sửa giúp bà Hai")
    assert card.buttons == ["✅ Ghi nhận", "🌟 Biểu dương", "↩️ Trả lại"] and card.photo
    # The photo shown to the secretary is the very bytes the member sent, re-sent from the media store.
    file_id = card.raw.record.photo[-1]["file_id"]
    assert fake_tg.files[file_id].data == PHOTO
    assert (await deeds(bot))[0].photo_keys == [PHOTO_KEY]
    # A second tick the same day sends nothing more.
    clock.set(datetime(2026, 3, 2, 19, 5, tzinfo=TZ))
    await bot.tick(only=["deeds_digest"])
    await bot.drain()
    async with bot.app.db.session() as s:
        rows = (
            (await s.execute(select(OutboxMessage).where(OutboxMessage.kind == "deed_digest")))
            .scalars()
            .all()
        )
    assert len(rows) == 1  # the one summary
    await sec.press("Ghi nhận tất cả", message=summary)
    await sec.expect("Đã ghi nhận 2 việc tốt")
    assert [d.status for d in await deeds(bot)] == ["accepted", "accepted"]
    await an.expect("đã được chi bộ ghi nhận")
    # The card's buttons now do nothing: the deed is already reviewed (replayed press).
    await sec.press("Biểu dương", message=card)
    await sec.expect("đã được duyệt rồi")
    assert [d.status for d in await deeds(bot)] == ["accepted", "accepted"]


async def test_feature_posts_to_group_when_member_agreed(bot, fake_tg, branch, an):
    group = fake_tg.group(-100555, "Nhóm Chi bộ thôn 1")
    async with bot.app.db.session() as s:
        await s.execute(
            update(Branch)
            .where(Branch.id == branch.branch_id)
            .values(group_channel="telegram", group_chat_id=str(group.chat_id))
        )
    await an.send("/viectot")
    await an.expect("việc tốt gì?")
    await an.send("Vận động bà con góp tiền làm cầu bê tông")
    await an.expect("Gửi việc tốt này?")
    await an.press("Thêm ảnh, ngày, loại")
    await an.expect("ngày nào?")
    await an.press("Hôm nay")
    await an.expect("thuộc loại nào?")
    await an.press("giúp đỡ nhân dân")
    await an.expect("Gửi tối đa 3 ảnh")
    await an.send_photo(PHOTO)
    await an.expect("(1/3)")
    await an.press("Xong")
    await an.expect("nhóm chi bộ không?")
    await an.press("Có, được chia sẻ")
    await an.expect("kiểm tra lại")
    await an.press("Gửi")
    await an.expect("Việc tốt đã được lưu")
    await branch.secretary.send("🗂 Duyệt việc tốt")
    card = await branch.secretary.expect("Vận động bà con")
    await branch.secretary.press("Biểu dương", message=card)
    await branch.secretary.expect("Đã biểu dương: Trần Văn An")
    await an.expect("đã được chi bộ biểu dương")
    await fake_tg.wait_for(lambda: len(fake_tg.events_for(group.chat_id)) == 1, timeout=5)
    post = fake_tg.events_for(group.chat_id)[0]
    assert "Gương việc tốt trong chi bộ" in post.text and "Vận động bà con" in post.text
    assert post.record.photo  # with the member's photo
    # Other members may see it now (featured and shared); a not-shared featured deed stays hidden.
    binh = await join_member(bot, fake_tg, branch, 6002, "Lê Thị Bình")
    await binh.send("/guongtot")
    await binh.expect("Việc tốt được biểu dương", "Vận động bà con")


async def test_feature_with_consent_ask_asks_member_first(bot, fake_tg, branch, an):
    group = fake_tg.group(-100556, "Nhóm")
    async with bot.app.db.session() as s:
        await s.execute(
            update(Branch)
            .where(Branch.id == branch.branch_id)
            .values(group_channel="telegram", group_chat_id=str(group.chat_id))
        )
    await _report(an, "Nhặt được ví trả lại cho người đánh rơi")
    [deed] = await deeds(bot)
    await bot.app.services.get(DeedReviewing).review(branch.secretary_actor, deed.id, "feature")
    bot.app.sender.wake()
    await an.expect("đã được chi bộ biểu dương", "có thể chia sẻ")
    assert fake_tg.events_for(group.chat_id) == []  # not without the member's yes
    await an.press("Có, chia sẻ")
    await an.expect("sẽ được chia sẻ")
    await fake_tg.wait_for(lambda: len(fake_tg.events_for(group.chat_id)) == 1, timeout=5)


async def test_return_with_reason(bot, fake_tg, branch, an):
    await _report(an, "Làm việc tốt")
    sec = branch.secretary
    await sec.send("/duyet")
    card = await sec.expect("Làm việc tốt")
    await sec.press("Trả lại", message=card)
    await sec.expect("Vì sao trả lại việc tốt của Trần Văn An")
    await sec.send("ok")  # too short to tell the member anything: re-asked
    await sec.expect("ít nhất 3 ký tự")
    await sec.send("Xin ghi rõ đã làm việc gì, giúp ai")
    await sec.expect("Đã trả lại cho Trần Văn An")
    msg = await an.expect("đã được bí thư trả lại", "Xin ghi rõ đã làm việc gì")
    assert "/viectot" in msg.text
    [deed] = await deeds(bot)
    assert deed.status == "returned" and deed.return_reason == "Xin ghi rõ đã làm việc gì, giúp ai"
    await an.send("/cuatoi")
    await an.expect("trả lại", "Lý do: Xin ghi rõ")
    # Edit after review is refused.
    await an.press_data(EditDeed(deed.id).pack(), an.last)
    await an.expect("đã được duyệt nên không sửa")


async def test_stale_deed_reminder_once(bot, fake_tg, branch, an, clock):
    await _report(an, "Giúp nhà bác Sáu gặt lúa")
    async with bot.app.db.session() as s:
        await s.execute(update(OutboxMessage).values(status="sent"))  # forget other queued rows
    await bot.app.services.get(DeedDigest).set_digest_time(branch.secretary_actor, "23:59")
    clock.set(datetime(2026, 3, 9, 8, 59, tzinfo=TZ))  # 6 days 23 hours 59 minutes: not yet
    await bot.tick(only=["deeds_stale"])
    await branch.secretary.expect_nothing(within=0.3)
    clock.set(datetime(2026, 3, 9, 9, 1, tzinfo=TZ))
    await bot.tick(only=["deeds_stale"])
    await branch.secretary.expect("Nhắc việc", "quá 7 ngày", "Giúp nhà bác Sáu")
    clock.set(datetime(2026, 3, 9, 10, 0, tzinfo=TZ))
    await bot.tick(only=["deeds_stale"])
    await branch.secretary.expect_nothing(within=0.4)
    await branch.secretary.press("Duyệt ngay")
    await branch.secretary.expect("Giúp nhà bác Sáu")


async def test_forged_buttons_from_other_branch_and_member(bot, fake_tg, branch, an):
    await _report(an, "Quét dọn nhà văn hoá")
    [deed] = await deeds(bot)
    other = await seed_branch(
        bot,
        fake_tg,
        org_name="Đảng bộ phường B",
        branch_name="Chi bộ khu 5",
        secretary_id=9202,
        secretary_name="Vũ Minh",
    )
    await other.secretary.send("/duyet")
    own = await other.secretary.expect("Không có việc tốt nào đang chờ duyệt")
    for data in (
        ReviewDeed("accept", deed.id).pack(),
        ReviewDeed("feature", deed.id).pack(),
        ReviewDeed("return", deed.id).pack(),
        AcceptAll(branch.branch_id, deed.id).pack(),
    ):
        await other.secretary.press_data(data, own)
        await other.secretary.expect("không có quyền")
    # A member cannot review, nor see the pending list, nor edit someone else's deed.
    binh = await join_member(bot, fake_tg, branch, 6003, "Lê Thị Bình")
    await binh.send("/duyet")
    await binh.expect("chỉ dành cho bí thư")
    await binh.press_data(ReviewDeed("accept", deed.id).pack(), binh.last)
    await binh.expect("không có quyền")
    await binh.press_data(WithdrawDeed(deed.id).pack(), binh.last)
    await binh.expect("không còn nữa")
    await binh.send("/guongtot")
    await binh.expect("Chưa có việc tốt được biểu dương")  # pending deeds of others stay hidden
    [deed] = await deeds(bot)
    assert deed.status == "pending" and deed.reviewed_by is None


async def test_secretary_records_on_behalf_of_phoneless_member(bot, fake_tg, branch, an):
    person_id = await add_phoneless_member(bot, branch, "Cụ Nguyễn Văn Tám")
    sec = branch.secretary
    await sec.send("/ghiho")
    await sec.expect("Ghi hộ việc tốt cho đảng viên nào?")
    await sec.press("Cụ Nguyễn Văn Tám")
    await sec.expect("Đồng chí Cụ Nguyễn Văn Tám đã làm việc tốt gì?")
    await sec.send("Kể chuyện Bác Hồ cho các cháu thiếu nhi trong thôn")
    await sec.expect("ngày nào?")
    await sec.press("Hôm qua")
    await sec.expect("thuộc loại nào?")
    await sec.press("khác")
    await sec.expect("Gửi tối đa 3 ảnh")
    await sec.press("Không có ảnh")
    await sec.expect("nhóm chi bộ không?")
    await sec.press("Có, được chia sẻ")
    await sec.expect("kiểm tra lại", "Đảng viên: Cụ Nguyễn Văn Tám")
    await sec.press("Gửi")
    await sec.expect("Đã ghi hộ việc tốt cho Cụ Nguyễn Văn Tám")
    [deed] = await deeds(bot)
    assert deed.person_id == person_id and deed.recorded_by == branch.secretary_actor.person_id
    assert deed.source == "behalf"
    await sec.send("/duyet")
    await sec.expect("Cụ Nguyễn Văn Tám", "bí thư ghi hộ")
    # A plain member cannot record for others, even with a forged button.
    await an.press_data(RecordForMember(branch.branch_id, person_id).pack(), an.last)
    await an.expect("không có quyền")
    actor = await bot.app.services.get(IdentityService).actor_for_person(person_id)
    assert actor is None  # the phoneless member has no account at all


async def test_nomination_goes_to_secretary(bot, fake_tg, branch, an):
    await an.send("/neguong")
    await an.expect("Gương người tốt là ai?")
    await an.send("Bà Lê Thị Mười")
    await an.expect("Người đó đã làm việc gì?")
    await an.send("Nhiều năm nấu cơm miễn phí cho bệnh nhân nghèo ở bệnh viện huyện")
    await an.expect("liên hệ")
    await an.send("0912 345 678")
    await an.expect("kiểm tra lại lời giới thiệu", "Bà Lê Thị Mười")
    await an.press("Gửi")
    await an.expect("Lời giới thiệu đã được gửi tới bí thư")
    await branch.secretary.expect(
        "Giới thiệu “gương người tốt”", "Bà Lê Thị Mười", "nấu cơm miễn phí", "0912 345 678"
    )


async def test_deeds_for_pledge_items_and_figures(bot, fake_tg, branch, an):
    actor = await bot.app.services.get(IdentityService).actor_for_person(
        (
            await bot.app.services.get(IdentityService).resolve(
                __import__("bot.messages", fromlist=["UserRef"]).UserRef("telegram", "6001", "Trần Văn An"),
                "6001",
            )
        ).person_id
    )
    svc = bot.app.services.get(DeedReporting)
    reviewing = bot.app.services.get(DeedReviewing)
    d = await svc.report(
        actor, DeedInput(day=datetime(2026, 3, 1).date(), text="Giúp bạn", pledge_item_id=42)
    )
    await reviewing.review(branch.secretary_actor, d.id, "feature")
    async with bot.app.db.session() as s:
        linked = await bot.app.services.deps.ext.providers.deeds_for_pledge_items(s, [42, 43])
        deps = bot.app.services.deps
        figures = await deps.ext.branch_figures(
            s, deps, branch.branch_id, datetime(2026, 3, 1, tzinfo=TZ), datetime(2026, 4, 1, tzinfo=TZ)
        )
    assert linked == {42: [(datetime(2026, 3, 1).date(), "Giúp bạn")]}
    assert (
        figures["deeds_reported"] == 1 and figures["deeds_accepted"] == 1 and figures["deeds_featured"] == 1
    )
    async with bot.app.db.session() as s:
        assert (await s.execute(select(Deed))).scalars().one().reviewed_by == branch.secretary_actor.person_id
