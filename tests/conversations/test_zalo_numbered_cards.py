"""Numbered choices across cards on Zalo: a secretary on Zalo reviews a list of three deed cards one by one
by number. The cards of one reply are numbered on ("1–3" for the first deed, "4–6" for the second), an
older card stays answerable after a newer list arrives, and a number no live card holds any more gets a
polite reply instead of being taken for a good deed."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from bot.features.deeds.models import Deed
from tests.conftest import TZ
from tests.conversations.test_zalo_cross import link

ZALO = pytest.mark.parametrize("channel", ["zalo"])


def number_of(message, label: str) -> str:
    """The number a Zalo message shows for ``label`` (numbers run on across cards)."""
    return next(number for shown, number in message.button_data if label in shown)


async def _deed(member, text: str) -> None:
    await member.send(text)
    await member.expect("Ghi nhận đây là việc tốt?")
    await member.send("co")
    await member.expect("Việc tốt đã được lưu")


async def _statuses(kit) -> dict[str, str]:
    async with kit.bot.app.db.session() as s:
        return {d.text: d.status for d in (await s.execute(select(Deed))).scalars()}


@ZALO
async def test_zalo_secretary_reviews_three_deed_cards_one_by_one_by_number(kit):
    an = await kit.join("5601", "Trần Văn An")
    binh = await kit.join("5602", "Lê Thị Bình")
    chi = await kit.join("5603", "Phạm Văn Chí")
    await _deed(an, "Sửa giúp bà Hai cái quạt điện")
    await _deed(binh, "Quét dọn nhà văn hoá thôn")
    await _deed(chi, "Đưa cụ Tư đi khám bệnh")
    # The branch secretary links a Zalo account and reviews there.
    sec = kit.zalo_user("5600", "Bí thư trên Zalo")
    await link(kit.branch.secretary, sec)
    await sec.expect("qua ứng dụng nào")
    await sec.press("Zalo")
    await sec.expect("Đã lưu")
    await sec.send("/duyet")
    card_a = await sec.expect("Sửa giúp bà Hai", "Trần Văn An")
    card_b = await sec.expect("Quét dọn nhà văn hoá", "Lê Thị Bình")
    card_c = await sec.expect("Đưa cụ Tư", "Phạm Văn Chí")
    every = await sec.expect("Ghi nhận tất cả")
    numbers = [int(n) for card in (card_a, card_b, card_c, every) for _label, n in card.button_data]
    assert numbers == list(range(numbers[0], numbers[0] + 10))  # one continuous numbering, no repeats
    assert f"Trả lời {numbers[3]}, {numbers[4]} hoặc {numbers[5]}." in card_b.text
    # The first card by its number.
    await sec.send(number_of(card_a, "Ghi nhận"))
    await sec.expect("Đã ghi nhận", "Trần Văn An")
    await an.expect("ghi nhận")
    # A newer list arrives (another command with choices); the older cards stay answerable.
    await sec.send("/kenh")
    newer = await sec.expect("qua ứng dụng nào")
    assert not set(newer.button_data) & {pair for card in (card_b, card_c) for pair in card.button_data}
    await sec.send(number_of(card_b, "Biểu dương"))
    await sec.expect("Đã biểu dương", "Lê Thị Bình")
    await sec.send(number_of(card_c, "Ghi nhận"))
    await sec.expect("Đã ghi nhận", "Phạm Văn Chí")
    assert await _statuses(kit) == {"Sửa giúp bà Hai cái quạt điện": "accepted",
                                    "Quét dọn nhà văn hoá thôn": "featured",
                                    "Đưa cụ Tư đi khám bệnh": "accepted"}
    # After /huy the lists are closed: an old number gets a polite reply, and no deed is captured. Card C
    # was answered, so its number says so; the newer list's number is simply closed.
    await sec.send("huy")
    await sec.expect("huỷ")
    await sec.send(number_of(card_c, "Biểu dương"))
    await sec.expect("đã trả lời rồi", "Ghi nhận")
    await sec.send(next(n for _label, n in newer.button_data))
    await sec.expect("không còn trong các lựa chọn")
    assert len(await _statuses(kit)) == 3


@ZALO
async def test_the_evening_digest_on_zalo_numbers_its_cards_on(kit, clock):
    an = await kit.join("5611", "Trần Văn An")
    binh = await kit.join("5612", "Lê Thị Bình")
    await _deed(an, "Chở cụ Bảy đi chợ phiên")
    await _deed(binh, "Thăm hỏi gia đình chính sách")
    sec = kit.zalo_user("5610", "Bí thư trên Zalo")
    await link(kit.branch.secretary, sec)
    await sec.expect("qua ứng dụng nào")
    await sec.press("Zalo")  # notices now come on Zalo
    await sec.expect("Đã lưu")
    clock.set(datetime(2026, 3, 2, 19, 0, tzinfo=TZ))  # the digest's default time
    await kit.bot.tick(only=["deeds_digest"])
    await kit.bot.drain()
    await sec.expect("Còn 2 việc tốt chờ duyệt")  # one summary a night; the cards come on demand
    await sec.press("Mở để duyệt")
    card_a = await sec.expect("Chở cụ Bảy")
    card_b = await sec.expect("Thăm hỏi gia đình")
    numbers = sorted(int(n) for card in (card_a, card_b) for _label, n in card.button_data)
    assert len(set(numbers)) == 6  # the two cards of the digest never share a number
    assert "bấm nút" not in "\n".join(m.text for m in sec.messages()).lower()  # Zalo has no buttons to press
    await sec.send(number_of(card_b, "Biểu dương"))
    await sec.expect("Đã biểu dương", "Lê Thị Bình")
    await sec.send(number_of(card_a, "Ghi nhận"))
    await sec.expect("Đã ghi nhận", "Trần Văn An")
    assert await _statuses(kit) == {"Chở cụ Bảy đi chợ phiên": "accepted",
                                    "Thăm hỏi gia đình chính sách": "featured"}
