"""/xoadulieu leaves nothing behind: a member with a pledge, deeds (accepted and returned, with photos), a
nomination naming a third person's phone, a health reason for missing a meeting, notices received and
notices about them sent to the secretary, and the files the bot generated for the secretary about them (the
deed pack with its photo archive, the /baocao workbook, the pledge export) erases their data; then every text
and JSON column of every table, every file in the media folder (inside zip containers too: xlsx, zip) and (on
SQLite) the raw database file are searched for their name, texts and photos. The table walk runs on SQLite and
PostgreSQL."""

from __future__ import annotations

import hashlib
import html
import io
import json
import zipfile
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from bot.devtools.emulator.telegram_state import tiny_png
from bot.features.deeds.models import Deed
from bot.features.meetings.models import MeetingRsvp
from bot.messages import esc
from storage.models.outbox import OutboxMessage
from storage.models.people import Person
from tests.conftest import TZ, join_member
from tests.pledges.conftest import fill_pledge

NAME = "Quách Thị Huyền Trâm"
DUTY = "kế toán hợp tác xã nông nghiệp Đông Phong"
PLEDGE_ITEM = ("Vận động mười hai hộ dân hiến đất mở rộng ngõ xóm", "mười hai hộ ký biên bản",
               "trước tháng 10/2026")
SHORTCOMING, REMEDY = "đôi khi đi họp chi bộ muộn", "đặt nhắc giờ, đến sớm 10 phút"
DEED_OK = "Cõng cụ Mùi bị liệt đi tiêm phòng ở trạm xá xã"
DEED_RETURNED = "Quét dọn sân đình Phú Mỹ sau hội làng"
RETURN_REASON = "Ảnh chưa rõ, xin bổ sung người chứng kiến"
NOMINEE, NOMINEE_DEED = "Ông Lò Văn Pháo", "Ba mươi năm chèo đò miễn phí đưa học sinh qua sông Đà"
PHONE = "0987 654 321"
HEALTH = "Đang điều trị viêm gan B tại bệnh viện tỉnh"
PHOTO_OK, PHOTO_RETURNED = tiny_png(5, 3), tiny_png(6, 3)
PHOTO_KEYS = {hashlib.sha256(p).hexdigest() for p in (PHOTO_OK, PHOTO_RETURNED)}
SECRETS = [NAME, DUTY, *PLEDGE_ITEM, SHORTCOMING, REMEDY, DEED_OK, DEED_RETURNED, RETURN_REASON, NOMINEE,
           NOMINEE_DEED, PHONE, PHONE.replace(" ", ""), HEALTH]


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path: Path) -> str:
    if request.param == "postgres":
        return request.getfixturevalue("pg_db_url")
    return f"sqlite+aiosqlite:///{tmp_path / 'hocbac.sqlite3'}"


def spellings(secret: str) -> set[str]:
    """How a text may be stored: as typed, HTML-escaped in a message, JSON-escaped in a JSON column."""
    return {secret, esc(secret), json.dumps(secret)[1:-1], json.dumps(esc(secret))[1:-1]}


async def _wait_for(fake_tg, user, *fragments: str):
    def found():
        return [m for m in user.bot_events(user.chat_key) if all(f in m.text for f in fragments)]

    await fake_tg.wait_for(lambda: bool(found()), timeout=10)
    return found()[-1]


async def _report(user, text: str, photo: bytes) -> None:
    await user.send_photo(photo, caption=text)
    await user.expect("Ghi nhận đây là việc tốt?")
    await user.press("Có, ghi nhận")
    await user.expect("Việc tốt đã được lưu")


async def _member_with_everything(bot, fake_tg, branch, clock):
    """Everything a member leaves in the bot, each through the conversation that makes it."""
    fake_tg.limits.enabled = False
    sec = branch.secretary
    tram = await join_member(bot, fake_tg, branch, 7001, NAME)
    # The pledge, submitted and approved (the secretary is told, with the texts).
    await fill_pledge(tram, [PLEDGE_ITEM], duty=DUTY)
    await tram.press("Gửi bí thư")
    await tram.expect("Sau khi gửi, bản đăng ký chờ bí thư duyệt")
    await tram.press("Xác nhận gửi")
    await tram.expect("Đã gửi!")
    await sec.expect("Phiếu đăng ký mới cần duyệt", NAME, PLEDGE_ITEM[0])
    await sec.press("Duyệt phiếu")
    await tram.expect("đã được bí thư duyệt")
    # Two deeds with photos.
    await _report(tram, DEED_OK, PHOTO_OK)
    await _report(tram, DEED_RETURNED, PHOTO_RETURNED)
    # A "gương người tốt" nomination with the third person's phone.
    await tram.send("/neguong")
    await tram.expect("Gương người tốt là ai?")
    await tram.send(NOMINEE)
    await tram.expect("Người đó đã làm việc gì?")
    await tram.send(NOMINEE_DEED)
    await tram.expect("liên hệ")
    await tram.send(PHONE)
    await tram.expect("kiểm tra lại lời giới thiệu", NOMINEE)
    await tram.press("Gửi")
    await tram.expect("Lời giới thiệu đã được gửi tới bí thư")
    await sec.expect("gương người tốt", NOMINEE, PHONE)
    # A meeting she will miss, for a health reason.
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
    await sec.send("Học tập tấm gương đạo đức Hồ Chí Minh về tiết kiệm")
    await sec.expect("Đính kèm tài liệu")
    await sec.press("Không có tài liệu")
    done = await sec.expect("Đã lên lịch")
    await sec.press("Gửi giấy mời họp cho đảng viên", message=done)
    await sec.expect("Đã gửi giấy mời họp")
    await tram.expect("Giấy mời sinh hoạt")
    await tram.press("Xin vắng")
    await tram.expect("lý do")
    await tram.send(HEALTH)
    await tram.expect("đồng chí xin vắng")
    # A notice to the whole branch, which she receives.
    await sec.send("📣 Gửi thông báo")
    await sec.expect("Gõ nội dung thông báo")
    await sec.send("Họp chi bộ tối thứ Sáu, 19:30 tại nhà văn hoá.")
    await sec.expect("Gửi cho ai?")
    await sec.press("Toàn chi bộ")
    await sec.expect("Khi nào gửi?")
    await sec.press("Gửi ngay")
    await sec.expect("Thêm nút")
    await sec.press("Không")
    await sec.expect("Gửi cho")
    await sec.press("📣 Gửi")
    await tram.expect("Họp chi bộ tối thứ Sáu")
    # The evening digest tells the secretary about her deeds, with her name, texts and photos.
    clock.set(datetime(2026, 3, 2, 19, 0, tzinfo=TZ))
    await bot.tick(only=["deeds_digest"])
    await sec.expect("Còn 2 việc tốt chờ duyệt", NAME)
    await sec.press("Mở để duyệt")
    ok_card = await _wait_for(fake_tg, sec, DEED_OK)
    returned_card = await _wait_for(fake_tg, sec, DEED_RETURNED)
    await sec.press("Ghi nhận", message=ok_card)
    await tram.expect("đã được chi bộ ghi nhận")
    await sec.press("Trả lại", message=returned_card)
    await sec.expect(f"Vì sao trả lại việc tốt của {NAME}")
    await sec.send(RETURN_REASON)
    await tram.expect("đã được bí thư trả lại", RETURN_REASON)
    await _exports(fake_tg, sec, clock)
    await bot.drain()
    return tram


async def _document(fake_tg, user, file_name: str) -> None:
    def found() -> bool:
        return any(m.media == "document" and m.raw.record.document["file_name"] == file_name
                   for m in user.bot_events(user.chat_key))

    await fake_tg.wait_for(found, timeout=10)


async def _exports(fake_tg, sec, clock) -> None:
    """The files the bot generates for the secretary, each asked for through the chat: the deed pack (this
    month's, with the returned deed's photo in its archive), the /baocao workbook and the pledge export."""
    clock.set(datetime(2026, 3, 20, 9, 0, tzinfo=TZ))  # the pack now covers March, when her deeds were told
    await sec.send("/bantin")
    await _document(fake_tg, sec, "viec-tot-03-2026.xlsx")
    await _document(fake_tg, sec, "anh-viec-tot-03-2026.zip")
    await sec.send("📊 Báo cáo")
    await sec.expect("Báo cáo cho khoảng thời gian nào?")
    await sec.press("Tháng này")
    report = await sec.expect("Báo cáo Chi bộ thôn 1", "tháng 3/2026")
    await sec.press("Xuất Excel", message=report)
    await sec.expect("Sổ tổng hợp của chi bộ")
    await sec.send("/dangky_tinhhinh")
    status = await sec.expect("Tình hình đăng ký làm theo năm 2026")
    await sec.press("Xuất Excel", message=status)
    await sec.expect("mỗi việc làm một dòng")


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _leftovers(path: Path) -> list[str]:
    """What of hers a media file holds: a text in its raw bytes or, for a zip container (xlsx, docx, zip),
    a text in any member (XML, text) or a member that is one of her photos."""
    data = path.read_bytes()
    hits = [f"{path.name}: {s!r}" for s in SECRETS if any(sp.encode() in data for sp in spellings(s))]
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for member in zf.namelist():
                part = zf.read(member)
                if hashlib.sha256(part).hexdigest() in PHOTO_KEYS:
                    hits.append(f"{path.name}/{member}: her photo")
                # Workbooks write text as inline strings with numeric character references (&#225;): read both.
                raw = part.decode("utf-8", "replace")
                text = raw + "\n" + html.unescape(raw)
                hits += [f"{path.name}/{member}: {s!r}" for s in SECRETS
                         if any(sp in text for sp in spellings(s) | {escape(s)})]
    return hits


async def _rows_with_secrets(bot) -> list[str]:
    """Every text and JSON value of every table, searched for every spelling of every secret."""
    hits: list[str] = []
    async with bot.app.db.session() as s:
        for table in SQLModel.metadata.sorted_tables:
            for row in (await s.execute(select(table))).mappings():
                for col, value in row.items():
                    if isinstance(value, dict | list):
                        value = json.dumps(value, ensure_ascii=False)
                    if not isinstance(value, str):
                        continue
                    hits += [f"{table.name}.{col}: {secret!r}" for secret in SECRETS
                             if any(sp in value for sp in spellings(secret))]
    return hits


async def test_erasure_leaves_no_personal_data_anywhere(bot, fake_tg, branch, clock, settings):
    tram = await _member_with_everything(bot, fake_tg, branch, clock)
    # The data is really there before: the walk can find it.
    before = await _rows_with_secrets(bot)
    for table in ("person.display_name", "deed.text", "deed.return_reason", "deed_nomination.contact",
                  "meeting_rsvp.reason", "pledge_item.what", "outbox.payload"):
        assert any(h.startswith(table) for h in before), table
    media = Path(settings.media_dir)
    assert {p.name for p in _files(media)} >= PHOTO_KEYS
    # The generated files hold her name, texts and photo, inside the zip containers: the walk can see them.
    inside = "\n".join(h for p in _files(media) for h in _leftovers(p) if "/" in h.split(": ")[0])
    for needle in (f"{NAME!r}", f"{DEED_OK!r}", f"{DUTY!r}", "her photo"):
        assert needle in inside, needle

    await tram.send("/xoadulieu")
    await tram.expect("Xoá dữ liệu")
    await tram.press("Đồng ý xoá dữ liệu")
    await tram.expect("đã được xoá")
    # The secretaries are told who left (the one message that names her), then that message is blanked too.
    await branch.secretary.expect(NAME, "xoá dữ liệu")

    async def notice_blanked() -> bool:
        async with bot.app.db.session() as s:
            rows = (await s.execute(select(OutboxMessage).where(OutboxMessage.key.startswith("erased:")))).scalars()
            return all(NAME not in json.dumps(r.payload, ensure_ascii=False) for r in rows)

    for _ in range(100):
        if await notice_blanked():
            break
        await bot.drain()
    assert await notice_blanked()

    assert await _rows_with_secrets(bot) == []
    # Every file left in the media folder: none of hers, and no text of hers inside any.
    left = _files(media)
    assert not {p.name for p in left} & PHOTO_KEYS
    assert [h for p in left for h in _leftovers(p)] == []
    # What the branch keeps: an anonymous member, her accepted deed counted, her answer to the meeting.
    async with bot.app.db.session() as s:
        person = (await s.execute(select(Person).where(Person.erased_at.is_not(None)))).scalars().one()
        deeds = (await s.execute(select(Deed).where(Deed.person_id == person.id))).scalars().all()
        statuses = sorted(d.status for d in deeds)
        rsvp = (await s.execute(select(MeetingRsvp).where(MeetingRsvp.person_id == person.id))).scalars().one()
    assert statuses == ["accepted", "returned"] and rsvp.attending is False and rsvp.reason is None
    if bot.app.db.dialect == "sqlite":
        # The raw file (and its WAL): no erased text in free pages or old frames.
        path = Path(settings.database_url.split("///", 1)[1])
        files = [f for f in (path, Path(f"{path}-wal")) if f.exists()]
        raw = b"".join(f.read_bytes() for f in files)
        assert [s for s in SECRETS if any(sp.encode() in raw for sp in spellings(s))] == []
