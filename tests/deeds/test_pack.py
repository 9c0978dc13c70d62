"""The monthly meeting pack: on the 1st (no meeting date) or two days before the meeting; text, xlsx, PNG."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from bot.features.deeds.callbacks import DeedPackFor
from bot.features.deeds.reporting import DeedInput, DeedReporting
from bot.features.deeds.review import DeedReviewing
from bot.services.identity import IdentityService
from bot.services.media import MediaStore
from tests.conftest import TZ, join_member
from tests.deeds.conftest import PHOTO, PHOTO_KEY, add_phoneless_member


async def _fixtures(bot, fake_tg, branch, an):
    """February: An reports four deeds (one commended, one returned, one withdrawn), the secretary records one
    for old Mr. Tám; Bình reports nothing."""
    binh = await join_member(bot, fake_tg, branch, 6005, "Lê Thị Bình")
    assert await bot.app.services.get(MediaStore).save(PHOTO, "image/png") == PHOTO_KEY
    tam = await add_phoneless_member(bot, branch, "Nguyễn Văn Tám")
    ids = bot.app.services.get(IdentityService)
    an_actor = await ids.actor_for_person(2 + 1)  # admin=1, secretary=2, An=3 (created in this order)
    assert an_actor is not None and an_actor.display_name == "Trần Văn An"
    svc = bot.app.services.get(DeedReporting)
    reviewing = bot.app.services.get(DeedReviewing)
    sec = branch.secretary_actor
    d1 = await svc.report(
        an_actor,
        DeedInput(
            day=date(2026, 2, 3),
            text="Sửa mái nhà cho bà Tư neo đơn",
            category="giúp đỡ nhân dân",
            photo_keys=[PHOTO_KEY],
            share="yes",
        ),
    )
    d2 = await svc.report(
        an_actor,
        DeedInput(
            day=date(2026, 2, 10), text="Dọn rác bờ kênh cùng thanh niên", category="giữ gìn môi trường"
        ),
    )
    d3 = await svc.report(an_actor, DeedInput(day=date(2026, 2, 11), text="Việc tốt", category="khác"))
    d4 = await svc.report(an_actor, DeedInput(day=date(2026, 2, 12), text="Rút lại", category="khác"))
    d5 = await svc.record_for(
        sec,
        tam,
        branch.branch_id,
        DeedInput(day=date(2026, 2, 24), text="Kể chuyện Bác Hồ cho thiếu nhi", category="khác"),
    )
    await reviewing.review(sec, d1.id, "feature")
    await reviewing.review(sec, d2.id, "accept")
    await reviewing.review(sec, d3.id, "return", "Ghi rõ việc gì")
    await svc.withdraw(an_actor, d4.id)
    assert d5.recorded_by == sec.person_id
    return binh


async def _pack_messages(fake_tg, sec):
    """The pack's text, spreadsheet and chart (the outbox does not promise their order)."""

    def parts():
        msgs = sec.bot_events(sec.chat_key)
        text = [m for m in msgs if "Bản tin việc tốt" in m.text]
        doc = [m for m in msgs if m.media == "document" and m.raw.record.document["file_name"].endswith(".xlsx")]
        chart = [m for m in msgs if m.media == "photo" and "theo tuần" in m.text]
        return text, doc, chart

    await fake_tg.wait_for(lambda: all(parts()), timeout=10)
    text, doc, chart = parts()
    return text[0], doc[0], chart[0]


async def test_pack_on_the_first_without_meeting_date(bot, fake_tg, branch, an, clock, monkeypatch, capsys):
    monkeypatch.setattr(bot.app.services.deps.ext.providers, "next_meeting", None)
    await _fixtures(bot, fake_tg, branch, an)
    clock.set(datetime(2026, 3, 1, 7, 59, tzinfo=TZ))
    await bot.tick(only=["deeds_pack"])
    clock.set(datetime(2026, 3, 1, 8, 0, tzinfo=TZ))
    await bot.tick(only=["deeds_pack"])
    text, doc, chart = await _pack_messages(fake_tg, branch.secretary)
    body = text.text
    assert "Bản tin việc tốt tháng 02/2026" in body
    assert "3 việc tốt của 2/4 đảng viên (1 đã ghi nhận, 1 được biểu dương, 1 chờ duyệt)" in body
    assert "• Trần Văn An: 2" in body and "• Nguyễn Văn Tám: 1" in body
    assert "Sửa mái nhà cho bà Tư neo đơn" in body  # the commended deed in full
    quiet = body.split("cùng động viên nhau")[1]
    assert "Lê Thị Bình" in quiet and "Nguyễn Thị Lan" in quiet and "Trần Văn An" not in quiet
    assert "Rút lại" not in body  # the withdrawn deed is left out
    # The spreadsheet: one row per deed (withdrawn left out).
    wb = openpyxl.load_workbook(io.BytesIO(fake_tg.files[doc.raw.record.document["file_id"]].data))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][:6] == ("STT", "Ngày", "Đảng viên", "Loại việc", "Nội dung việc tốt", "Trạng thái")
    assert len(rows) == 1 + 4
    assert rows[1][2:6] == (
        "Trần Văn An",
        "giúp đỡ nhân dân",
        "Sửa mái nhà cho bà Tư neo đơn",
        "được biểu dương",
    )
    # The photo is counted and named as in the zip that comes with the pack, never by a server path.
    assert rows[1][7] == 1 and re.fullmatch(r"viec-tot-\d+-1\.png", rows[1][8])
    assert rows[2][7] == 0 and rows[2][8] is None
    assert rows[3][5] == "trả lại" and rows[3][9] == "Ghi rõ việc gì"
    assert rows[4][2] == "Nguyễn Văn Tám" and rows[4][6] == "✓"
    assert doc.raw.record.document["file_name"] == "viec-tot-02-2026.xlsx"
    png = fake_tg.files[chart.raw.record.photo[-1]["file_id"]].data
    assert png.startswith(b"\x89PNG") and len(png) > 1000
    archive = await branch.secretary.expect("Ảnh các việc tốt trong tháng")
    assert archive.raw.record.document["file_name"] == "anh-viec-tot-02-2026.zip"
    with zipfile.ZipFile(io.BytesIO(fake_tg.files[archive.raw.record.document["file_id"]].data)) as zf:
        assert zf.namelist() == [f"anh-viec-tot-02-2026/{rows[1][8]}"]
        assert zf.read(zf.namelist()[0]) == PHOTO
    # Idempotent: the next tick the same day sends nothing more.
    clock.set(datetime(2026, 3, 1, 9, 0, tzinfo=TZ))
    await bot.tick(only=["deeds_pack"])
    await bot.drain()
    assert sum(1 for m in branch.secretary.bot_events(branch.secretary.chat_key) if "Bản tin" in m.text) == 1
    with capsys.disabled():
        print("\n----- pack text -----\n" + body + "\n---------------------")


async def test_pack_two_days_before_meeting(bot, fake_tg, branch, an, clock, monkeypatch):
    async def meeting(_s, _branch_id, _after):
        return datetime(2026, 3, 5, 19, 30, tzinfo=TZ)

    monkeypatch.setattr(bot.app.services.deps.ext.providers, "next_meeting", meeting)
    await _fixtures(bot, fake_tg, branch, an)
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=TZ))  # three days before: nothing yet
    await bot.tick(only=["deeds_pack"])
    await branch.secretary.expect_nothing(within=0.3)
    clock.set(datetime(2026, 3, 3, 8, 30, tzinfo=TZ))
    await bot.tick(only=["deeds_pack"])
    text, _doc, _chart = await _pack_messages(fake_tg, branch.secretary)
    assert "tháng 02/2026" in text.text


@pytest.mark.parametrize("who", ["member", "other_secretary"])
async def test_pack_on_demand_is_for_the_branch_secretary_only(bot, fake_tg, branch, an, who):
    from tests.conftest import seed_branch

    if who == "member":
        await an.send("/bantin")
        await an.expect("chỉ dành cho bí thư")
        await an.press_data(DeedPackFor(branch.branch_id).pack(), an.last)
        await an.expect("không có quyền")
        return
    other = await seed_branch(
        bot, fake_tg, org_name="Đảng bộ B", branch_name="Chi bộ 9", secretary_id=9303, secretary_name="Vũ Hà"
    )
    await other.secretary.send("/bantin")
    own = await other.secretary.expect("Bản tin việc tốt", "Chi bộ 9")
    await other.secretary.press_data(DeedPackFor(branch.branch_id).pack(), own)
    await other.secretary.expect("không có quyền")
