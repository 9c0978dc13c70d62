"""A member registers an emulation project and reports its milestones, on Telegram and on Zalo; the
secretary confirms; the form refuses a bad timetable and resumes after a restart."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.devtools.emulator.telegram_state import tiny_png
from bot.features.emulation.models import EmulationMilestone, EmulationProject
from bot.services.media import MediaStore
from tests.emulation.helpers import committee, open_call

PHOTO = tiny_png(4, 3)


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_member_registers_and_reports_a_milestone(kit):
    bot, sec = kit.bot, kit.branch.secretary
    kit.fake_tg.limits.enabled = False
    boss = await committee(bot, kit.fake_tg, kit.branch.org_id)
    await open_call(boss)
    await sec.expect("Cấp uỷ mở đợt đăng ký công trình thi đua", "Mô hình", "31/03/2026")
    an = await kit.join("5101", "Trần Văn An")

    await an.send("/congtrinh")
    await an.expect("Đồng chí chưa có công trình thi đua nào", "Đợt đang mở")
    await an.press("Đăng ký công trình")
    await an.expect("Thuộc loại nào?")
    await an.press("Mô hình")
    await an.expect("Tên công trình?")
    await an.send("Tuyến đường hoa thôn 1")
    await an.expect("Mục tiêu")
    await an.send("Trồng 500 m hoa ven đường liên thôn")
    await an.expect("Tiêu chí đo được")
    await an.send("500 m đường, 20 hộ tham gia")
    await an.expect("Tiến độ")
    await an.send("15 tháng 2 - Khảo sát")  # a day already past: refused, asked again
    await an.expect("Dòng “15 tháng 2 - Khảo sát”")
    await an.send("15/3 - Khảo sát tuyến đường\n30/4: Trồng xong hoa")
    card = await an.expect("Gửi đăng ký này?", "Tuyến đường hoa thôn 1 (Mô hình)", "15/03/2026 — Khảo sát tuyến đường",
                           "30/04/2026 — Trồng xong hoa")
    await an.press("Đăng ký", card)
    await an.expect("Đã đăng ký", "Tuyến đường hoa thôn 1")
    await sec.expect("vừa đăng ký công trình thi đua", "Tuyến đường hoa thôn 1")

    # The first milestone, with a photo.
    await an.send("/congtrinh")
    await an.expect("Tuyến đường hoa thôn 1", "Khảo sát tuyến đường: chưa báo cáo")
    await an.press("Báo cáo: Khảo sát tuyến đường")
    await an.expect("Đã làm được gì?")
    await an.send("Đã khảo sát xong 500 m cùng tổ dân phố")
    await an.expect("Minh chứng")
    await an.send_sticker()
    await an.expect("Đồng chí vui lòng gửi ảnh, tệp tài liệu hoặc đường liên kết")
    await an.send_photo(PHOTO)
    await an.expect("Gửi báo cáo này cho bí thư?", "Minh chứng: một ảnh")
    await an.press("Xác nhận gửi")
    await an.expect("Bí thư sẽ xác nhận mốc “Khảo sát tuyến đường”")
    report = await sec.expect("báo cáo mốc", "Khảo sát tuyến đường", "Đã khảo sát xong 500 m")
    assert report.media == "photo"
    await sec.press("Xác nhận", report)
    await sec.expect("Đã xác nhận: Khảo sát tuyến đường")
    await an.expect("Bí thư đã xác nhận mốc “Khảo sát tuyến đường”")

    # The second milestone, with a link (what a Zalo member can always send).
    await an.send("/congtrinh")
    await an.expect("Khảo sát tuyến đường: đã xác nhận", "Trồng xong hoa: chưa báo cáo")
    await an.press("Báo cáo: Trồng xong hoa")
    await an.expect("Đã làm được gì?")
    await an.send("Trồng xong 500 m hoa")
    await an.expect("Minh chứng")
    await an.send("Ảnh ở đây: https://example.org/album/hoa-thon-1")
    await an.expect("Gửi báo cáo này cho bí thư?", "https://example.org/album/hoa-thon-1")
    await an.press("Xác nhận gửi")
    await an.expect("Bí thư sẽ xác nhận")
    await sec.expect("báo cáo mốc", "Trồng xong hoa", "https://example.org/album/hoa-thon-1")

    assert bot.app is not None
    async with bot.app.db.session() as s:
        project = (await s.execute(select(EmulationProject))).scalars().one()
        stones = (await s.execute(select(EmulationMilestone).order_by(EmulationMilestone.position))).scalars().all()
    assert (project.name, project.category, project.by_branch) == ("Tuyến đường hoa thôn 1", "Mô hình", False)
    assert [m.status for m in stones] == ["confirmed", "reported"]
    key = stones[0].evidence[0]["media_key"]
    data, _mime = await bot.app.services.get(MediaStore).read(key)
    assert data == PHOTO  # kept by content hash, whichever channel it came from
    assert stones[1].evidence == [] and stones[1].evidence_link == "https://example.org/album/hoa-thon-1"


async def test_registration_form_resumes_after_a_restart(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    boss = await committee(bot, fake_tg, branch.org_id)
    await open_call(boss)
    sec = branch.secretary
    await sec.send("/congtrinh")
    await sec.expect("Đợt đang mở")
    await sec.press("Đăng ký công trình")
    await sec.expect("Ai đăng ký công trình?")  # a secretary may register for the branch
    await sec.press("Chi bộ")
    await sec.expect("Thuộc loại nào?")
    await sec.press("Công trình")
    await sec.expect("Tên công trình?")
    await sec.send("Nhà văn hoá thôn 1")
    await bot.restart()
    await sec.send("Sửa mái nhà văn hoá")  # the goal: the form went on where it was
    await sec.expect("Tiêu chí đo được")
    await sec.send("Mái mới 200 m2")
    await sec.expect("Tiến độ")
    await sec.send("20/3 - Xong mái")
    await sec.press("Đăng ký", await sec.expect("Gửi đăng ký này?", "do chi bộ đăng ký"))
    await sec.expect("Đã đăng ký")
    async with bot.app.db.session() as s:
        project = (await s.execute(select(EmulationProject))).scalars().one()
    assert project.by_branch and project.goal == "Sửa mái nhà văn hoá"


async def _send_document(fake_tg, user, data: bytes, mime: str, name: str, size: int | None = None) -> None:  # type: ignore[no-untyped-def]
    stored = fake_tg.store_file(data, "document", mime, name)
    doc = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_name": name,
           "mime_type": mime, "file_size": size or len(data)}
    await fake_tg.inject_content(user.user, user.chat_key, document=doc)


async def test_evidence_files_refused_with_the_limit_and_own_categories(bot, fake_tg, branch, clock):
    """The committee types its own categories; an unsupported or oversized file is refused with the limit,
    a PDF is kept."""
    fake_tg.limits.enabled = False
    boss = await committee(bot, fake_tg, branch.org_id)
    await boss.send("/dotthidua")
    await boss.expect("Tên đợt là gì?")
    await boss.send("Dân vận khéo 2026")
    await boss.expect("Hạn cuối đăng ký")
    await boss.send("1/3")  # yesterday: refused
    await boss.expect("⚠️")
    await boss.send("30/4")
    await boss.expect("Tiêu chí thẩm định")
    await boss.send("Hiệu quả thực tế")
    await boss.press("Tự nhập danh sách", await boss.expect("năm loại mặc định"))
    await boss.expect("cách nhau bằng dấu phẩy")
    await boss.send("Mô hình dân vận khéo, Việc tốt quanh ta")
    await boss.press("Mở đợt đăng ký", await boss.expect("Loại: Mô hình dân vận khéo, Việc tốt quanh ta"))
    await boss.expect("Đã mở đợt")

    sec = branch.secretary
    await sec.send("/congtrinh")
    await sec.press("Đăng ký công trình", await sec.expect("Đợt đang mở: Dân vận khéo 2026"))
    await sec.press("Nhóm đảng viên", await sec.expect("Ai đăng ký công trình?"))
    category = await sec.expect("Thuộc loại nào?")
    assert category.buttons == ["Mô hình dân vận khéo", "Việc tốt quanh ta"]
    await sec.press("Việc tốt quanh ta", category)
    for answer in ("Sân chơi thiếu nhi", "Làm sân chơi cho 40 cháu", "1 sân chơi", "20/4 - Khánh thành"):
        await sec.expect("(Gửi /huy để huỷ.)")
        await sec.send(answer)
    await sec.press("Đăng ký", await sec.expect("Gửi đăng ký này?"))
    await sec.expect("Đã đăng ký")

    await sec.send("/congtrinh")
    await sec.press("Báo cáo: Khánh thành", await sec.expect("Sân chơi thiếu nhi", "Khánh thành: chưa báo cáo"))
    await sec.expect("Đã làm được gì?")
    await sec.send("Đã khánh thành")
    await sec.expect("Minh chứng")
    await _send_document(fake_tg, sec, b"PK\x03\x04zip", "application/zip", "anh.zip")
    await sec.expect("Không nhận loại tệp này", "PDF, Word, Excel")
    await _send_document(fake_tg, sec, b"%PDF-1.4 big", "application/pdf", "bienban.pdf", size=30 * 1024 * 1024)
    await sec.expect("quá lớn", "10 MB")
    await _send_document(fake_tg, sec, b"%PDF-1.4 bien ban", "application/pdf", "bienban.pdf")
    await sec.press("Xác nhận gửi", await sec.expect("Gửi báo cáo này cho bí thư?", "một tệp tài liệu"))
    await sec.expect("Bí thư sẽ xác nhận")
    async with bot.app.db.session() as s:
        milestone = (await s.execute(select(EmulationMilestone))).scalars().one()
    assert milestone.evidence[0]["file_name"] == "bienban.pdf" and milestone.evidence[0]["kind"] == "document"
    # Her own milestone is not hers to confirm: it went to the committee (no other manager is seated).
    await boss.expect("báo cáo mốc", "Khánh thành")
