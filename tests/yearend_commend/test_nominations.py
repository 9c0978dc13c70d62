"""/neguong after it is sent: the secretary lists nominations, recognises or declines them with a comment;
a recognised one goes into the month's pack and, when it names a member, to the commendation shortlist."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from bot.features.deeds.models import Nomination
from tests.conftest import TZ
from tests.yearend_commend.conftest import person_id, sheets_of


async def _nominate(user, name: str, what: str) -> None:
    await user.send("/neguong")
    await user.expect("Gương người tốt là ai?")
    await user.send(name)
    await user.expect("Người đó đã làm việc gì?")
    await user.send(what)
    await user.expect("liên hệ")
    await user.press("Bỏ qua")
    await user.expect("kiểm tra lại lời giới thiệu", name)
    await user.press("Gửi")
    await user.expect("Lời giới thiệu đã được gửi tới bí thư")


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_nominations_listed_decided_and_carried(kit, clock):
    kit.fake_tg.limits.enabled = False
    sec = kit.branch.secretary
    an = await kit.join("7001", "Trần Văn An")
    await kit.join("7002", "Lê Văn Bình")
    await _nominate(an, "đồng chí Lê Văn Bình", "Đêm mưa bão giúp bà con chằng chống nhà cửa")
    await sec.expect("Giới thiệu “gương người tốt”", "Lê Văn Bình", "/dsneguong")
    await _nominate(an, "Bà Tư bán nước", "Nhặt được ví trả lại người mất")
    await sec.expect("Bà Tư bán nước")

    # A plain member has no list to act on.
    await an.send("/dsneguong")
    await an.expect("chỉ dành cho bí thư")

    await sec.send("/dsneguong")
    await sec.expect("Giới thiệu “gương người tốt”", "2, trong đó 2 đang chờ xem xét")
    tu = await sec.expect("Bà Tư bán nước", "Trần Văn An", "chờ xem xét")
    binh = await sec.expect("đồng chí Lê Văn Bình", "chằng chống nhà cửa")
    assert binh.buttons == ["✅ Ghi nhận", "✖️ Không ghi nhận"]
    await sec.press("Ghi nhận", message=binh)
    await sec.expect("Ý kiến gửi người giới thiệu")
    await sec.send("Gương sáng của chi bộ")
    await sec.expect("Đã ghi nhận: đồng chí Lê Văn Bình", "bản tin tháng")
    await an.expect("đồng chí Lê Văn Bình", "đã ghi nhận", "Gương sáng của chi bộ")
    await sec.press("Không ghi nhận", message=tu)
    await sec.expect("Vì sao không ghi nhận?")
    await sec.send("Người ngoài địa bàn, đề nghị báo Mặt trận xã")
    await sec.expect("không được ghi nhận")
    await an.expect("Bà Tư bán nước", "không ghi nhận", "Người ngoài địa bàn")
    # Pressed again (a replay): nothing changes.
    await sec.press_data(binh.button_data[0][1], binh)
    await sec.send("lần nữa")
    await sec.expect("đã được xem xét")

    async with kit.bot.app.db.session() as s:
        noms = {n.name: n for n in (await s.execute(select(Nomination))).scalars()}
    bid = await person_id(kit.bot, "Lê Văn Bình")
    assert noms["đồng chí Lê Văn Bình"].status == "accepted" and noms["đồng chí Lê Văn Bình"].person_id == bid
    assert noms["Bà Tư bán nước"].status == "declined" and noms["Bà Tư bán nước"].person_id is None

    # To the commendation shortlist, through the provider.
    async with kit.bot.app.db.session() as s:
        commended = await kit.bot.app.services.deps.ext.providers.commended_deeds(s, kit.branch.branch_id, 2026)
    assert commended == {bid: [(date(2026, 3, 2), "Được giới thiệu “gương người tốt”: Đêm mưa bão giúp bà con "
                                                  "chằng chống nhà cửa")]}

    # To the month's pack: the summary and a sheet of its own.
    clock.set(datetime(2026, 3, 20, 9, 0, tzinfo=TZ))
    await sec.send("/bantin")
    await sec.expect("“Gương người tốt” được ghi nhận", "đồng chí Lê Văn Bình", "chằng chống")
    pack = await sec.expect("Bảng tính việc tốt trong tháng")
    sheets = sheets_of(kit.fake_tg, pack)
    rows = sheets["Gương người tốt"]
    assert rows[0] == ["STT", "Ngày giới thiệu", "Họ tên", "Việc đã làm", "Ý kiến"]
    assert rows[1][2:] == ["đồng chí Lê Văn Bình", "Đêm mưa bão giúp bà con chằng chống nhà cửa",
                           "Gương sáng của chi bộ"]
    assert rows[1][1] == datetime(2026, 3, 2) and len(rows) == 2  # a real date; the declined one is not there
