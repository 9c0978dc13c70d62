"""The materials library (/tailieu): finding and opening on both channels, uploads and their refusals, a
meeting notice with a library item, the thematic reminder's suggestion, and the per-branch open counts."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import select

from bot.features.library.exports import library_xlsx
from bot.features.library.models import LibraryAttachment, LibraryItem, LibraryOpenCount
from bot.features.library.service import Library
from bot.i18n import use_locale
from bot.messages import MediaRef, UserRef
from bot.services.actor import Actor
from bot.services.identity import IdentityService
from bot.services.media import MediaStore
from bot.services.org import OrgService
from tests.conftest import TZ, join_member, seed_branch

PDF = b"%PDF-1.4 Nghi quyet Trung uong 4"
TITLE = "Nghị quyết Trung ương 4 về xây dựng Đảng"


async def send_document(fake_tg, user, data: bytes, mime: str, name: str, size: int | None = None) -> None:
    stored = fake_tg.store_file(data, "document", mime, name)
    doc = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_name": name,
           "mime_type": mime, "file_size": len(data) if size is None else size}
    await fake_tg.inject_content(user.user, user.chat_key, document=doc)


async def committee(bot, fake_tg, branch, uid: int = 9301) -> tuple[object, Actor]:
    """A committee admin of the seeded branch's đảng bộ (joined by the real invite code)."""
    ids = bot.app.services.get(IdentityService)
    admin = await ids.resolve(UserRef("telegram", "9001", "Quản trị"), "9001")
    invite = await bot.app.services.get(OrgService).create_code(admin, kind="committee_admin", org_id=branch.org_id)
    boss = fake_tg.user(uid, "Đảng uỷ viên")
    await boss.send(f"/start {invite.code}")
    await boss.expect("quản trị")
    actor = await ids.resolve(UserRef("telegram", str(uid), "Đảng uỷ viên"), str(uid))
    return boss, actor


async def add_pdf(bot, actor: Actor, scope: str, title: str = TITLE, month: int | None = 3, theme: str = "") -> int:
    key = await bot.app.services.get(MediaStore).save(PDF, "application/pdf", "nq4.pdf")
    media = MediaRef(kind="document", media_key=key, mime="application/pdf", size=len(PDF), file_name="nq4.pdf")
    item = await bot.app.services.get(Library).add(actor, scope, title=title, year=2026, month=month, theme=theme,
                                                   media=media.to_dict())
    return int(item.id or 0)


async def opens(bot) -> dict[tuple[int, int], int]:
    async with bot.app.db.session() as s:
        rows = (await s.execute(select(LibraryOpenCount))).scalars().all()
        return {(r.item_id, r.branch_id): r.opens for r in rows}


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_member_finds_a_document_without_diacritics_and_opens_it(kit):
    kit.fake_tg.limits.enabled = False
    sec = kit.branch.secretary  # uploads in chat, on Telegram
    await sec.send("/tailieu_moi")
    await sec.expect("Đồng chí gửi tài liệu", "tối đa 20 MB")
    await send_document(kit.fake_tg, sec, PDF, "application/pdf", "nq4.pdf")
    await sec.expect("Tên tài liệu?")
    await sec.send(TITLE)
    await sec.expect("Dùng cho tháng nào của năm 2026?")
    await sec.press("Tháng 3")
    await sec.expect("Chủ đề")
    await sec.send("Xây dựng, chỉnh đốn Đảng")
    await sec.expect("Đã lưu vào thư viện", TITLE, "tháng 3/2026", "Chi bộ thôn 1")
    async with kit.bot.app.db.session() as s:
        [item] = (await s.execute(select(LibraryItem))).scalars().all()
    assert (item.branch_id, item.kind, item.mime, item.month) == (kit.branch.branch_id, "file", "application/pdf", 3)
    assert item.media_key == MediaStore.key_for(PDF)
    assert await kit.bot.app.services.get(MediaStore).read(item.media_key) == (PDF, "nq4.pdf")

    an = await kit.join("5501", "Trần Văn An")
    await an.send("/tailieu chinh don dang")  # typed without diacritics: the theme matches
    listing = await an.expect("Tài liệu khớp với “chinh don dang” (1)", TITLE, "tháng 3/2026")
    assert "Tài liệu" in listing.text
    await an.send("/tailieu ngan sach")
    await an.expect("Không có tài liệu nào khớp với “ngan sach”")
    await an.send("/tailieu nghi quyet")
    await an.expect("Tài liệu khớp với", TITLE)
    await an.press(TITLE)
    opened = await an.expect(TITLE, "tháng 3/2026")
    if kit.channel == "telegram":
        assert opened.media == "document"
    else:  # Zalo: a link to the stored file
        assert "(Tệp: http" in opened.text
    assert await opens(kit.bot) == {(item.id, kit.branch.branch_id): 1}


async def test_uploads_are_refused_with_the_limit_and_links_are_kept(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5502, "Lê Bình")
    await an.send("/tailieu_moi")  # a member cannot upload
    await an.expect("Lệnh này chỉ dành cho bí thư")
    sec = branch.secretary
    await sec.send("/tailieu_moi")
    await sec.expect("Đồng chí gửi tài liệu")
    await send_document(fake_tg, sec, b"%PDF big", "application/pdf", "to.pdf", size=25 * 1024 * 1024)
    await sec.expect("Tệp quá lớn (25,0 MB)", "tối đa 20 MB")
    await send_document(fake_tg, sec, b"PK\x03\x04zip", "application/zip", "tailieu.zip")
    await sec.expect("Thư viện không nhận loại tệp này", "PDF, Word (.doc, .docx), ảnh JPG hoặc PNG")
    await sec.send("ftp://example.vn/tailieu.pdf")
    await sec.expect("Đường dẫn này không dùng được", "http:// hoặc https://")
    await sec.send("https://example.vn/tai lieu.pdf")
    await sec.expect("Đường dẫn này không dùng được", "không có dấu cách")
    assert not bot.app.services.get(MediaStore).exists(MediaStore.key_for(b"PK\x03\x04zip"))
    await sec.send("https://dangcongsan.vn/chuyen-de-2026")
    await sec.expect("Tên tài liệu?")
    await sec.send("Chuyên đề năm 2026")
    await sec.expect("Dùng cho tháng nào")
    await sec.press("Cả năm")
    await sec.expect("Chủ đề")
    await sec.press("Bỏ qua")
    await sec.expect("Đã lưu vào thư viện", "năm 2026")
    await an.send("/tailieu chuyen de")
    await an.expect("Chuyên đề năm 2026")
    await an.press("Chuyên đề năm 2026")
    opened = await an.expect("https://dangcongsan.vn/chuyen-de-2026")
    assert 'href="https://dangcongsan.vn/chuyen-de-2026"' in opened.html
    async with bot.app.db.session() as s:
        [item] = (await s.execute(select(LibraryItem))).scalars().all()
    assert (item.kind, item.url, item.month, item.media_key) == ("link", "https://dangcongsan.vn/chuyen-de-2026",
                                                                 None, "")


async def test_committee_material_counts_per_branch_and_never_crosses_dang_bo(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    org = bot.app.services.get(OrgService)
    ids = bot.app.services.get(IdentityService)
    admin = await ids.resolve(UserRef("telegram", "9001", "Quản trị"), "9001")
    thon2 = await org.create_branch(admin, branch.org_id, "Chi bộ thôn 2")
    boss, boss_actor = await committee(bot, fake_tg, branch)
    await boss.send("/tailieu_moi")  # the committee's only scope: the whole đảng bộ
    await boss.expect("Đồng chí gửi tài liệu")
    await send_document(fake_tg, boss, PDF, "application/pdf", "nq4.pdf")
    await boss.send(TITLE)
    await boss.expect("Dùng cho tháng nào")
    await boss.press("Tháng 3")
    await boss.expect("Chủ đề")
    await boss.press("Bỏ qua")
    await boss.expect("Đã lưu vào thư viện", "Toàn Đảng bộ xã An Bình")
    [item_id] = [i for (i,) in [(x.id,) for x in await _items(bot)]]
    an = await join_member(bot, fake_tg, branch, 5503, "Trần Văn An")
    chi = await join_member(bot, fake_tg, branch, 5504, "Phạm Chi")
    code = await org.create_code(admin, kind="member", branch_id=thon2.id)
    dung = fake_tg.user(5505, "Võ Dũng")
    await dung.send(f"/start {code.code}")
    await dung.expect("đã được gửi tới bí thư")
    mid = (await org.pending_requests(admin, thon2.id))[0][0].id
    await org.decide_join(admin, mid, True)
    for member in (an, chi, dung):
        await member.send("/tailieu")
        await member.expect("Tài liệu mới nhất (1)", TITLE)
        await member.press(TITLE)
        await member.expect(TITLE)
    # Another đảng bộ's secretary sees none of it, even with a forged button.
    other = await seed_branch(bot, fake_tg, org_name="Đảng bộ phường B", branch_name="Chi bộ khu 5",
                              secretary_id=9102, secretary_name="Đỗ Hà")
    await other.secretary.send("/tailieu")
    empty = await other.secretary.expect("Thư viện chưa có tài liệu nào dành cho đồng chí")
    from bot.features.library.callbacks import OpenItem
    await other.secretary.press_data(OpenItem(item_id).pack(), empty)
    await other.secretary.expect("không có quyền")
    assert await opens(bot) == {(item_id, branch.branch_id): 2, (item_id, thon2.id): 1}
    await boss.send("/tailieu_thongke")
    stats = await boss.expect("lượt mở theo chi bộ", "không xếp hạng ai")
    assert "3 lượt mở — Chi bộ thôn 1: 2, Chi bộ thôn 2: 1" in stats.text
    assert "Trần Văn An" not in stats.text and "Chi bộ khu 5" not in stats.text
    await boss.press("Tệp Excel")
    sent = await boss.expect("Lượt mở tài liệu theo chi bộ")
    assert sent.media == "document"
    counts = await bot.app.services.get(Library).counts(boss_actor, branch.org_id)
    with use_locale("vi"):
        book = openpyxl.load_workbook(io.BytesIO(library_xlsx(counts, TZ)))
    assert book.sheetnames == ["Tổng hợp", "Lượt mở theo chi bộ"]
    summary = list(book["Tổng hợp"].values)
    assert summary[0][:2] == ("Tài liệu", "Dành cho")
    assert summary[1][0] == TITLE and summary[1][1] == "Toàn Đảng bộ xã An Bình" and summary[1][5:] == (3, 2, 2)
    per_branch = list(book["Lượt mở theo chi bộ"].values)[1:]
    assert per_branch == [(TITLE, "Chi bộ thôn 1", 2), (TITLE, "Chi bộ thôn 2", 1)]
    # The other đảng bộ's committee admin and a secretary cannot read the counts.
    other_boss = await ids.resolve(UserRef("telegram", "9302", "Cấp uỷ B"), "9302")
    await org.redeem(other_boss, (await org.create_code(admin, kind="committee_admin", org_id=other.org_id)).code)
    other_boss = await ids.actor_for_person(other_boss.person_id)
    from bot.services.errors import PermissionDenied
    with pytest.raises(PermissionDenied):
        await bot.app.services.get(Library).counts(other_boss, branch.org_id)
    with pytest.raises(PermissionDenied):
        await bot.app.services.get(Library).counts(branch.secretary_actor, branch.org_id)
    assert (await bot.app.services.get(Library).page(other_boss)).total == 0


async def _items(bot) -> list[LibraryItem]:
    async with bot.app.db.session() as s:
        return list((await s.execute(select(LibraryItem).order_by(LibraryItem.id))).scalars().all())


async def test_meeting_notice_attaches_a_library_item(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    _boss, boss_actor = await committee(bot, fake_tg, branch)
    item_id = await add_pdf(bot, boss_actor, f"o:{branch.org_id}", "Chuyên đề tháng 3: học tập tấm gương Bác")
    await add_pdf(bot, boss_actor, f"o:{branch.org_id}", "Tài liệu tháng 7", month=7)  # another month: not offered
    an = await join_member(bot, fake_tg, branch, 5506, "Trần Văn An")
    sec = branch.secretary
    await sec.send("/hop")
    await sec.expect("Loại buổi sinh hoạt nào?")
    await sec.press("Chuyên đề")
    await sec.expect("Vào ngày nào?")
    await sec.send("05/03")
    await sec.expect("Lúc mấy giờ?")
    await sec.press("19:30")
    await sec.expect("Ở đâu?")
    await sec.send("Nhà văn hoá thôn 1")
    await sec.expect("Chủ đề")
    await sec.send("Học tập tấm gương đạo đức Hồ Chí Minh")
    await sec.expect("Đính kèm tài liệu cho đảng viên")
    await sec.press("Không có tài liệu")
    ask = await sec.expect("Đính kèm tài liệu từ thư viện?")
    assert ask.buttons == ["📎 Chuyên đề tháng 3: học tập tấm gương Bác", "Không đính kèm ⏭"]
    await sec.press("Chuyên đề tháng 3")
    done = await sec.expect("Đã lên lịch: sinh hoạt chuyên đề")
    await sec.press("Gửi giấy mời họp cho đảng viên", message=done)
    await sec.expect("Đã gửi giấy mời họp tới")
    notice = await an.expect("Giấy mời sinh hoạt", "Nhà văn hoá thôn 1")
    assert notice.buttons == ["✅ Tôi sẽ dự", "🙏 Xin vắng", "📎 Chuyên đề tháng 3: học tập tấm gương Bác"]
    await an.press("📎 Chuyên đề tháng 3")
    opened = await an.expect("Chuyên đề tháng 3: học tập tấm gương Bác")
    assert opened.media == "document"
    async with bot.app.db.session() as s:
        assert [a.item_id for a in (await s.execute(select(LibraryAttachment))).scalars()] == [item_id]
    assert await opens(bot) == {(item_id, branch.branch_id): 1}


async def test_thematic_reminder_suggests_the_months_material(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    _boss, boss_actor = await committee(bot, fake_tg, branch)
    await add_pdf(bot, boss_actor, f"o:{branch.org_id}", "Chuyên đề quý I: học tập và làm theo Bác", month=3)
    await add_pdf(bot, boss_actor, f"o:{branch.org_id}", "Tài liệu tháng 4", month=4)
    await bot.tick(only=["secretary_reminders"])  # 02/03 09:00: no thematic meeting this quarter yet
    reminder = await branch.secretary.expect("chưa có lịch sinh hoạt chuyên đề tháng 3",
                                             "Tài liệu sinh hoạt tháng 3 trong thư viện")
    assert reminder.buttons == ["📅 Lên lịch sinh hoạt chuyên đề", "📎 Chuyên đề quý I: học tập và làm theo Bác"]
    await branch.secretary.press("📎 Chuyên đề quý I", message=reminder)
    opened = await branch.secretary.expect("Chuyên đề quý I: học tập và làm theo Bác")
    assert opened.media == "document"


async def test_export_keeps_a_formula_like_title_as_text(bot, fake_tg, branch):
    _boss, boss_actor = await committee(bot, fake_tg, branch)
    evil = '=HYPERLINK("http://evil.example","Bấm vào đây")'
    await add_pdf(bot, boss_actor, f"o:{branch.org_id}", evil, month=None)
    counts = await bot.app.services.get(Library).counts(boss_actor, branch.org_id)
    with use_locale("vi"):
        book = openpyxl.load_workbook(io.BytesIO(library_xlsx(counts, TZ)))
    for sheet in book.worksheets:
        cell = sheet["A2"]
        assert (cell.value, cell.data_type) == (evil, "s")
    assert book["Tổng hợp"]["C2"].value == "năm 2026" and book["Tổng hợp"]["E2"].number_format == "dd/mm/yyyy"


async def test_the_upload_form_resumes_after_a_restart(bot, fake_tg, branch):
    sec = branch.secretary
    await sec.send("/tailieu_moi")
    await sec.expect("Đồng chí gửi tài liệu")
    await sec.send("https://example.vn/chuyen-de")
    await sec.expect("Tên tài liệu?")
    await bot.restart()
    await sec.send("Chuyên đề về tiết kiệm")
    await sec.expect("Dùng cho tháng nào")
    await sec.press("Tháng 5")
    await sec.expect("Chủ đề")
    await sec.send("Tiết kiệm")
    await sec.expect("Đã lưu vào thư viện", "tháng 5/2026")
    [item] = await _items(bot)
    assert (item.title, item.url, item.month, item.theme) == ("Chuyên đề về tiết kiệm", "https://example.vn/chuyen-de",
                                                              5, "Tiết kiệm")
