"""Contests: members enter in chat on both channels (receipt with its number), late, second, oversized and
unaccepted entries are refused, the committee sees entries per branch, judges score on the rubric, results,
workbook, winners' list and the announcement to the branches."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.devtools.emulator.telegram_state import tiny_png
from bot.features.contests.models import ContestEntry, ContestScore
from bot.features.contests.service import ContestInput, Contests
from bot.messages import UserRef
from bot.services.documents import docx_text
from bot.services.identity import IdentityService
from bot.services.media import MediaStore
from bot.services.org import OrgService
from tests.conftest import ADMIN_TG_ID

PHOTO = tiny_png(4, 3)
RUBRIC = [["Nội dung", 50], ["Hình thức", 30]]


async def _open(bot, org_id: int, *, kinds=("text", "photo", "link"), per="member", days=10, title="Tuổi trẻ làm theo"):
    ids = bot.app.services.get(IdentityService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    today = bot.app.clock.now().astimezone(bot.app.settings.tz).date()
    return await bot.app.services.get(Contests).open(admin, org_id, ContestInput(
        title=title, rules="Viết về một tấm gương", kinds=list(kinds), max_mb=20,
        deadline=today + timedelta(days=days), per=per, criteria=RUBRIC))


async def _entries(bot) -> list[ContestEntry]:
    async with bot.app.db.session() as s:
        return list((await s.execute(select(ContestEntry).order_by(ContestEntry.number))).scalars().all())


async def _enter(user, title: str = "Tuổi trẻ làm theo") -> None:
    await user.send("/hoithi")
    await user.expect("Các hội thi đang nhận bài", title)
    await user.press(title)
    await user.expect("Xin đồng chí")


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_member_enters_and_gets_a_receipt(kit):
    contest = await _open(kit.bot, kit.branch.org_id)
    an = await kit.join("5101", "Trần Văn An")
    binh = await kit.join("5102", "Lê Thị Bình")
    await _enter(an)
    if kit.channel == "telegram":
        await an.send("Bác Tư ở thôn 1 mười năm quét đường làng mỗi sáng.")
        await an.expect("Bài dự thi số 1", "Tuổi trẻ làm theo", "bài viết")
    else:  # Zalo: a link
        await an.send("https://youtu.be/abc123")
        await an.expect("Bài dự thi số 1", "đường dẫn")
    await _enter(binh)
    await binh.send_photo(PHOTO)
    await binh.expect("Bài dự thi số 2", "ảnh")
    first, second = await _entries(kit.bot)
    assert (first.kind, second.kind) == (("text" if kit.channel == "telegram" else "link"), "photo")
    assert first.contest_id == contest.id and (first.text or first.url)
    store = kit.bot.app.services.get(MediaStore)
    assert second.media_key == store.key_for(PHOTO) and store.exists(second.media_key)  # kept by content hash
    # A second entry is refused: one per member.
    await an.send("/hoithi")
    await an.expect("Các hội thi đang nhận bài")
    await an.press("Tuổi trẻ làm theo")
    await an.expect("Đồng chí đã dự thi hội thi này (bài dự thi số 1)", "mỗi đảng viên chỉ gửi một bài")
    assert len(await _entries(kit.bot)) == 2


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_late_and_unaccepted_entries_are_refused(kit):
    await _open(kit.bot, kit.branch.org_id, kinds=("photo",), days=1, title="Ảnh đẹp quê hương")
    an = await kit.join("5201", "Trần Văn An")
    await _enter(an, "Ảnh đẹp quê hương")
    await an.send("Một bài viết")  # the contest takes photos only
    await an.expect("Hội thi này không nhận bài viết", "Hội thi nhận: ảnh")
    await an.send("/huy")
    await an.expect("Đã huỷ")
    await an.send("/hoithi")
    await an.expect("Ảnh đẹp quê hương")
    kit.bot.app.clock.advance(timedelta(days=2))  # the deadline passes while the list is on screen
    await an.press("Ảnh đẹp quê hương")
    await an.expect("đã hết hạn ngày", "không nhận thêm bài dự thi")
    await an.send("/hoithi")
    await an.expect("Hiện chưa có hội thi nào đang nhận bài")
    assert await _entries(kit.bot) == []


async def test_oversized_and_unsupported_files_state_the_limit(bot, fake_tg, branch):
    from tests.conftest import join_member

    await _open(bot, branch.org_id, kinds=("document", "video"), per="branch", title="Video clip")
    an = await join_member(bot, fake_tg, branch, 6301, "Trần Văn An")
    await _enter(an, "Video clip")
    big = fake_tg.store_file(b"\x00" * 64, "video", "video/mp4", "clip.mp4")
    await fake_tg.inject_content(an.user, an.chat_key, video={
        "file_id": big.file_id, "file_unique_id": big.file_unique_id, "width": 640, "height": 360,
        "duration": 30, "mime_type": "video/mp4", "file_size": 25 * 1_048_576})  # the size Telegram reports
    await an.expect("Tệp quá lớn (25.0 MB)", "tối đa 10 MB")
    zip_ = fake_tg.store_file(b"PK\x03\x04", "document", "application/zip", "bai.zip")
    await fake_tg.inject_content(an.user, an.chat_key, document={
        "file_id": zip_.file_id, "file_unique_id": zip_.file_unique_id, "file_name": "bai.zip",
        "mime_type": "application/zip", "file_size": 4})
    await an.expect("Loại tệp này không được nhận", "PDF hoặc Word tối đa 10 MB")
    clip = fake_tg.store_file(b"\x00\x00\x00\x18ftypmp42", "video", "video/mp4", "clip.mp4")
    await fake_tg.inject_content(an.user, an.chat_key, video={
        "file_id": clip.file_id, "file_unique_id": clip.file_unique_id, "width": 640, "height": 360,
        "duration": 30, "mime_type": "video/mp4", "file_size": 12})
    await an.expect("Bài dự thi số 1", "video clip")
    [entry] = await _entries(bot)
    assert entry.kind == "video" and entry.slot == f"b{branch.branch_id}"
    # Per branch: the secretary of the same branch cannot send a second one.
    await _enter_refused(branch.secretary)


async def _enter_refused(user) -> None:
    await user.send("/hoithi")
    await user.expect("Các hội thi đang nhận bài")
    await user.press("Video clip")
    await user.expect("Chi bộ của đồng chí đã dự thi hội thi này (bài dự thi số 1)")


async def test_committee_counts_judges_ranks_exports_and_announces(bot, fake_tg, branch):
    from tests.conftest import join_member

    org = bot.app.services.get(OrgService)
    ids = bot.app.services.get(IdentityService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    await org.create_branch(admin, branch.org_id, "Chi bộ thôn 2")
    contest = await _open(bot, branch.org_id)
    an = await join_member(bot, fake_tg, branch, 6401, "Trần Văn An")
    binh = await join_member(bot, fake_tg, branch, 6402, "Lê Thị Bình")
    for user, text in ((an, "Bài của An"), (binh, "Bài của Bình")):
        await _enter(user)
        await user.send(text)
        await user.expect("Bài dự thi số")
    invite = await org.create_code(admin, kind="committee_admin", org_id=branch.org_id)
    boss = fake_tg.user(9401, "Đảng uỷ viên")
    await boss.send(f"/start {invite.code}")
    await boss.expect("quản trị")
    await boss.send("/dshoithi")
    await boss.expect("Các hội thi của đảng bộ")
    await boss.press("Tuổi trẻ làm theo")
    await boss.expect("Đã nhận 2 bài dự thi")
    await boss.press("Theo chi bộ")
    counts = await boss.expect("1/2 chi bộ đã tham gia")
    assert "Chi bộ thôn 1: 2 bài" in counts.text and "Chưa tham gia: Chi bộ thôn 2" in counts.text
    # Judging on the rubric: out of range and a wrong count are refused, nothing saved.
    await boss.press("Chấm điểm")
    await boss.expect("2 bài đang chờ đồng chí chấm")
    await boss.press("Số 1 (bài viết)")
    await boss.expect("Bài dự thi số 1", "Bài của An")
    await boss.expect("Nội dung: 0–50", "Hình thức: 0–30")
    await boss.send("60 20")
    await boss.expect("Điểm “Nội dung” phải từ 0 đến 50; 60 nằm ngoài thang điểm")
    await boss.send("40")
    await boss.expect("Xin cho đủ 2 điểm")
    async with bot.app.db.session() as s:
        assert (await s.execute(select(ContestScore))).scalars().all() == []
    await boss.send("40 25")
    await boss.expect("Bài dự thi số 1: đã ghi 65 điểm")
    await boss.press("Bài tiếp theo")
    await boss.expect("1 bài đang chờ")
    await boss.press("Số 2 (bài viết)")
    await boss.expect("Nội dung: 0–50")
    await boss.send("45 28")
    await boss.expect("đã ghi 73 điểm")
    await boss.send("/dshoithi")
    await boss.expect("Các hội thi của đảng bộ")
    await boss.press("Tuổi trẻ làm theo")
    card = await boss.expect("Đã nhận 2 bài dự thi")
    await boss.press("Kết quả", message=card)
    ranking = await boss.expect("Xếp hạng hội thi")
    lines = ranking.text.splitlines()
    assert lines[1].startswith("1. Bài dự thi số 2, Lê Thị Bình") and "73 điểm — Giải Nhất" in lines[1]
    assert lines[2].startswith("2. Bài dự thi số 1, Trần Văn An") and "Giải Nhì" in lines[2]
    await boss.press("Excel", message=card)
    doc = await boss.expect("Sổ tính hội thi")
    wb = load_workbook(io.BytesIO(fake_tg.files[doc.raw.record.document["file_id"]].data))
    assert wb.sheetnames == ["Tổng hợp", "Theo chi bộ", "Bài dự thi", "Xếp hạng"]
    summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(min_row=2, values_only=True)}
    assert summary["Chi bộ đã tham gia"] == "1/2" and summary["Bài dự thi"] == 2
    assert [r[1] for r in wb["Xếp hạng"].iter_rows(min_row=2, values_only=True)] == [2, 1]
    await boss.press("Danh sách đoạt giải", message=card)
    doc = await boss.expect("Danh sách đoạt giải, để làm giấy chứng nhận")
    text = docx_text(fake_tg.files[doc.raw.record.document["file_id"]].data)
    assert "DANH SÁCH ĐOẠT GIẢI" in text and "Giải Nhất" in text and "Lê Thị Bình" in text
    assert f"contest:{contest.id}" not in text
    await boss.press("Công bố kết quả", message=card)
    await boss.expect("Gửi kết quả này tới tất cả các chi bộ?")
    await boss.press("Công bố")
    await boss.expect("Đã gửi kết quả tới các chi bộ")
    await bot.drain()
    await branch.secretary.expect("Kết quả hội thi “Tuổi trẻ làm theo”", "Giải Nhất: bài dự thi số 2, Lê Thị Bình")


async def test_a_named_judge_scores_only_their_contest(bot, fake_tg, branch):
    from tests.conftest import join_member

    ours = await _open(bot, branch.org_id, title="Hội thi A")
    other = await _open(bot, branch.org_id, title="Hội thi B")
    an = await join_member(bot, fake_tg, branch, 6501, "Trần Văn An")
    await an.send("/chamthi")
    await an.expect("Đồng chí chưa là giám khảo của hội thi nào")
    ids = bot.app.services.get(IdentityService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    invite = await bot.app.services.get(OrgService).create_code(admin, kind="committee_admin", org_id=branch.org_id)
    boss = fake_tg.user(9501, "Đảng uỷ viên")
    await boss.send(f"/start {invite.code}")
    await boss.expect("quản trị")
    await boss.send("/dshoithi")
    await boss.expect("Các hội thi của đảng bộ")
    await boss.press("Hội thi A")
    await boss.expect("Hội thi A")
    await boss.press("Chỉ định giám khảo")
    await boss.expect("họ tên đầy đủ của giám khảo")
    await boss.send("Nguyễn Văn Không Có")
    await boss.expect("Không có đảng viên nào", "Nguyễn Văn Không Có")
    await boss.send("tran van an")  # without diacritics: still the one member so called
    await boss.expect("Đồng chí Trần Văn An là giám khảo hội thi “Hội thi A”")
    await bot.drain()
    await an.expect("được chỉ định làm giám khảo hội thi “Hội thi A”", "/chamthi")
    await an.send("/chamthi")
    listing = await an.expect("Đồng chí chấm hội thi nào?")
    assert list(listing.buttons) == ["Hội thi A"]
    assert (await bot.app.services.get(Contests).get(other.id)).judge_ids == []
    assert (await bot.app.services.get(Contests).get(ours.id)).judge_ids != []


async def test_erasure_empties_the_entry_and_keeps_its_number(bot, fake_tg, branch):
    from tests.conftest import join_member

    await _open(bot, branch.org_id)
    an = await join_member(bot, fake_tg, branch, 6601, "Trần Văn An")
    await _enter(an)
    await an.send_photo(PHOTO, caption="Cây cầu tre")
    await an.expect("Bài dự thi số 1")
    store = bot.app.services.get(MediaStore)
    assert store.exists(store.key_for(PHOTO))
    await an.send("/xoadulieu")
    await an.expect("Xoá dữ liệu của đồng chí?")
    await an.press("Đồng ý xoá dữ liệu")
    await an.expect("Dữ liệu của đồng chí đã được xoá")
    [entry] = await _entries(bot)
    assert (entry.number, entry.text, entry.media_key) == (1, "", None)
    assert not store.exists(store.key_for(PHOTO))


async def test_committee_opens_a_contest_in_chat_and_announces_it(bot, fake_tg, branch):
    org = bot.app.services.get(OrgService)
    ids = bot.app.services.get(IdentityService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    invite = await org.create_code(admin, kind="committee_admin", org_id=branch.org_id)
    boss = fake_tg.user(9601, "Đảng uỷ viên")
    await boss.send(f"/start {invite.code}")
    await boss.expect("quản trị")
    await boss.send("/taohoithi")
    await boss.expect("Tên hội thi là gì?")
    await boss.send("Video clip: Chi bộ tôi làm theo Bác")
    await boss.expect("Thể lệ tóm tắt")
    await boss.send("Mỗi chi bộ một video clip dưới 5 phút.")
    await boss.expect("Hội thi nhận loại bài nào?")
    await boss.press("Video clip (tệp hoặc đường dẫn)")
    await boss.expect("Dung lượng tối đa")
    await boss.send("50")
    await boss.expect("Xin gõ số MB từ 1 đến 20")
    await boss.send("20")
    await boss.expect("Ngày cuối cùng nhận bài dự thi?")
    await boss.send("01/01/2026")
    await boss.expect("01/01/2026")  # in the past: asked again
    await boss.send("31/03/2026")
    await boss.expect("Mỗi đảng viên một bài, hay mỗi chi bộ một bài?")
    await boss.press("Mỗi chi bộ")
    await boss.expect("Thang điểm")
    await boss.send("Nội dung 60; Hình thức")
    await boss.expect("Xin viết mỗi tiêu chí kèm điểm tối đa")
    await boss.send("Nội dung 60; Hình thức 40")
    await boss.expect("Thông báo hội thi tới các chi bộ ngay bây giờ?")
    await boss.press("Có, thông báo ngay")
    summary = await boss.expect("Xin đồng chí kiểm tra lại hội thi")
    assert "mỗi chi bộ một bài" in summary.text and "Nội dung (60); Hình thức (40)" in summary.text
    await boss.press("Mở hội thi")
    await boss.expect("Hội thi “Video clip: Chi bộ tôi làm theo Bác” đã mở", "31/03/2026")
    [contest] = await bot.app.services.get(Contests).of_committee(admin)
    assert (contest.kinds, contest.per, contest.max_mb) == (["video", "link"], "branch", 20)
    assert contest.criteria == [["Nội dung", 60], ["Hình thức", 40]]
    await bot.drain()
    await branch.secretary.expect("Hội thi: Video clip: Chi bộ tôi làm theo Bác", "mỗi chi bộ một bài", "/hoithi")
