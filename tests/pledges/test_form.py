"""The pledge form: one question at a time, limits, review with edit/remove/add, submit, amend."""

from __future__ import annotations

from sqlalchemy import select

from bot.features.pledges.models import Pledge, PledgeItem, PledgeVersion
from tests.conftest import join_member
from tests.pledges.conftest import DEEDS, fill_pledge


async def _pledge(bot, person_name: str) -> Pledge:
    from storage.models.people import Person

    async with bot.app.db.session() as s:
        return (
            await s.execute(
                select(Pledge)
                .join(Person, Person.id == Pledge.person_id)
                .where(Person.display_name == person_name)
            )
        ).scalar_one()


async def test_full_form_edit_remove_add_submit(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 6001, "Trần Văn An")
    await an.send("/dangky")
    await an.expect("Phiếu đăng ký học tập và làm theo Bác")
    await an.expect("Chức vụ hoặc nhiệm vụ của đồng chí là gì?", "Ví dụ: giáo viên")
    await an.send("   ")  # empty is re-asked
    await an.expect("Câu trả lời đang để trống")
    await an.send("x" * 501)  # over-long is re-asked with the limit stated
    await an.expect("501 ký tự", "500")
    await an.send("giáo viên")
    for i, (what, criterion, when) in enumerate(DEEDS, 1):
        await an.expect(f"Việc làm {i}: đồng chí sẽ làm gì?")
        await an.send(what)
        await an.expect(f"Việc làm {i}: đo kết quả")
        await an.send(criterion)
        await an.expect(f"Việc làm {i}: khi nào?")
        await an.send(when)
        await an.expect(f"Đồng chí đã có {i} việc làm")
        await an.press("Thêm việc làm khác" if i == 1 else "Tiếp tục")
    await an.expect("Một khuyết điểm")
    await an.send("hay đi họp muộn")
    await an.expect("khắc phục thế nào")
    await an.send("đến sớm 10 phút")
    await an.expect("Lời cam kết của đồng chí")
    await an.press("Tự viết lời cam kết")
    await an.expect("Xin đồng chí viết lời cam kết")
    await an.send("Tôi hứa làm gương cho bà con.")
    review = await an.expect(
        "Xem lại phiếu trước khi gửi", "giáo viên", DEEDS[0][0], DEEDS[1][0], "Tôi hứa làm gương cho bà con."
    )
    assert "🗑 Bỏ việc 2" in review.buttons
    # Edit deed 2, remove deed 1, add a third, fourth is refused.
    await an.press("Sửa việc 2")
    await an.expect("Việc làm 2: đồng chí sẽ làm gì?")
    await an.send("Dạy kèm tiếng Việt cho trẻ em")
    await an.expect("Việc làm 2: đo kết quả")
    await an.send("10 buổi mỗi tháng")
    await an.expect("Việc làm 2: khi nào?")
    await an.send("hằng tháng")
    await an.expect("Xem lại phiếu", "Dạy kèm tiếng Việt cho trẻ em", "10 buổi mỗi tháng")
    await an.press("Bỏ việc 1")
    await an.expect("Đã bỏ việc làm 1")
    review = await an.expect("Xem lại phiếu")
    assert DEEDS[0][0] not in review.text and "🗑 Bỏ việc 1" not in review.buttons  # the last one stays
    for n, what in ((2, "Thu gom rác ven kênh"), (3, "Trồng cây xanh ở nhà văn hoá")):
        await an.press("Thêm việc làm")
        await an.expect(f"Việc làm {n}: đồng chí sẽ làm gì?")
        await an.send(what)
        await an.expect("đo kết quả")
        await an.send("mỗi tháng một lần")
        await an.expect("khi nào")
        await an.send("hằng tháng")
        await an.expect("Xem lại phiếu", what)
    await an.press("Thêm việc làm")
    await an.expect("tối đa 3 việc làm", "không thêm được việc thứ tư")
    await an.press("Gửi bí thư")
    await an.expect("Sau khi gửi, bản đăng ký chờ bí thư duyệt")
    await an.press("Xác nhận gửi")
    await an.expect("Đã gửi!", "lần 1")
    notice = await branch.secretary.expect(
        "Phiếu đăng ký mới cần duyệt", "Trần Văn An", "Dạy kèm tiếng Việt", "Trồng cây xanh"
    )
    assert notice.buttons == ["✅ Duyệt phiếu", "↩️ Trả lại kèm góp ý"]
    await branch.secretary.expect_nothing()  # one notice only
    p = await _pledge(bot, "Trần Văn An")
    assert (p.status, p.version, p.commitment) == ("submitted", 1, "Tôi hứa làm gương cho bà con.")
    # While waiting, /dangky shows it and offers no editing.
    await an.send("/dangky")
    await an.expect("đang chờ bí thư duyệt", "Trồng cây xanh")


async def test_approve_then_amend_is_versioned_and_reapproved(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    binh = await join_member(bot, fake_tg, branch, 6002, "Lê Bình")
    await fill_pledge(binh)
    await binh.press("Gửi bí thư")
    await binh.expect("Sau khi gửi, bản đăng ký chờ bí thư duyệt")
    await binh.press("Xác nhận gửi")
    await binh.expect("Đã gửi!")
    await branch.secretary.expect("Phiếu đăng ký mới cần duyệt", "Lê Bình")
    await branch.secretary.press("Duyệt phiếu")
    await branch.secretary.expect("Đã duyệt phiếu của Lê Bình")
    await binh.expect("đã được bí thư duyệt", "/camket")
    # Approved: read-only, except "Bổ sung".
    await binh.send("/dangky")
    await binh.expect("đã được duyệt", "xem hay bổ sung")
    await binh.press("Bổ sung")
    await binh.expect("Bổ sung phiếu — xem lại trước khi gửi")
    await binh.press("Thêm việc làm")
    await binh.expect("Việc làm 2: đồng chí sẽ làm gì?")
    await binh.send(DEEDS[1][0])
    await binh.expect("đo kết quả")
    await binh.send(DEEDS[1][1])
    await binh.expect("khi nào")
    await binh.send(DEEDS[1][2])
    await binh.expect("Bổ sung phiếu", DEEDS[1][0])
    await binh.press("Gửi bổ sung cho bí thư")
    await binh.expect("Sau khi gửi, bản đăng ký chờ bí thư duyệt")
    await binh.press("Xác nhận gửi")
    await binh.expect("Đã gửi!", "lần 2")
    await branch.secretary.expect("Phiếu bổ sung cần duyệt", DEEDS[1][0])
    # While the amendment waits, the pledge still counts as approved.
    await binh.send("/camket")
    await binh.expect("phần bổ sung đang chờ bí thư duyệt")
    await branch.secretary.press("Duyệt phiếu")
    await binh.expect("Phần bổ sung phiếu đăng ký năm 2026 của đồng chí đã được bí thư duyệt")
    p = await _pledge(bot, "Lê Bình")
    assert (p.status, p.version, p.approved_version) == ("approved", 2, 2)
    async with bot.app.db.session() as s:
        versions = (
            (
                await s.execute(
                    select(PledgeVersion)
                    .where(PledgeVersion.pledge_id == p.id)
                    .order_by(PledgeVersion.version)
                )
            )
            .scalars()
            .all()
        )
        items = (await s.execute(select(PledgeItem).where(PledgeItem.pledge_id == p.id))).scalars().all()
    assert [(v.version, v.status, len(v.content["items"])) for v in versions] == [
        (1, "approved", 1),
        (2, "approved", 2),
    ]
    assert len(items) == 2 and all(i.active for i in items)
