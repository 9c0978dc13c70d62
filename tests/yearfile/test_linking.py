"""“Gắn với việc đã đăng ký”: a deed reported by a plain message is linked to a pledge item afterwards from
/cuatoi (the deed's view); someone else's deed, or a member without a pledge, is refused politely."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.features.deeds.callbacks import LinkDeed, LinkDeedTo
from bot.features.deeds.models import Deed
from bot.features.pledges.models import PledgeItem
from tests.pledges.conftest import DEEDS, pledge_and_approve


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_a_message_reported_deed_is_linked_from_cuatoi(kit):
    an = await kit.join("7201", "Trần Văn An")
    await pledge_and_approve(an, kit.branch.secretary, DEEDS)
    await an.send("#viectot Đưa cụ Năm đi khám bệnh ở trạm xá")
    await an.expect("Ghi nhận đây là việc tốt?")
    await an.press("Có, ghi nhận")
    await an.expect("Việc tốt đã được lưu")
    await an.send("/cuatoi")
    mine = await an.expect("Việc tốt của tôi")
    await an.press("🎯 Gắn 02/03 · Đưa cụ Năm đi khám…", message=mine)
    await an.expect("Gắn với việc đã đăng ký", "Đưa cụ Năm đi khám bệnh ở trạm xá")
    await an.press("2. " + DEEDS[1][0])
    await an.expect("Đã gắn với việc đã đăng ký", DEEDS[1][0])
    async with kit.bot.app.db.session() as s:
        deed = (await s.execute(select(Deed))).scalar_one()
        item = (await s.execute(select(PledgeItem).where(PledgeItem.what == DEEDS[1][0]))).scalar_one()
    assert deed.pledge_item_id == item.id and deed.source == "hashtag"
    await an.send("/cuatoi")
    mine = await an.expect("Việc tốt của tôi")
    assert not any("Gắn" in b for b in mine.buttons)  # linked: no longer offered


async def test_linking_someone_elses_deed_or_without_a_pledge_is_refused(kit):
    an = await kit.join("7301", "Trần Văn An")
    binh = await kit.join("7302", "Phạm Thị Bình")
    await pledge_and_approve(an, kit.branch.secretary, DEEDS[:1])
    await binh.send("#viectot Quét dọn nhà văn hoá thôn")
    await binh.expect("Ghi nhận đây là việc tốt?")
    await binh.press("Có, ghi nhận")
    saved = await binh.expect("Việc tốt đã được lưu")
    async with kit.bot.app.db.session() as s:
        deed = (await s.execute(select(Deed))).scalar_one()
        item = (await s.execute(select(PledgeItem))).scalar_one()
    # Bình has no pledge: nothing to link to.
    await binh.press_data(LinkDeed(deed.id).pack(), saved)
    await binh.expect("chưa có phiếu đăng ký năm 2026 được duyệt")
    # Bình cannot link to An's pledge item, and An cannot touch Bình's deed.
    await binh.press_data(LinkDeedTo(deed.id, item.id).pack(), saved)
    await binh.expect("Việc này không có trong phiếu đăng ký năm đó của đồng chí")
    await an.send("/cuatoi")
    mine = await an.expect("Việc tốt của tôi")
    await an.press_data(LinkDeedTo(deed.id, item.id).pack(), mine)
    await an.expect("không còn")
    async with kit.bot.app.db.session() as s:
        assert (await s.get(Deed, deed.id)).pledge_item_id is None  # type: ignore[union-attr]
