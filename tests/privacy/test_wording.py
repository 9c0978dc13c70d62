"""Leaving (/roi) and erasing (/xoadulieu) address the member as "đồng chí", never "bạn" or "mình"."""

from __future__ import annotations

import re

from tests.conftest import join_member

INFORMAL = re.compile(r"(?<!\w)(bạn|mình)(?!\w)", re.IGNORECASE)


def _said_since(user, start: int) -> list[str]:
    return [m.text for m in user.bot_events(user.chat_key)[start:]]


async def test_leave_and_erase_say_dong_chi(bot, fake_tg, branch):
    an = await join_member(bot, fake_tg, branch, 5091, "Trần Văn An")
    start = len(an.bot_events(an.chat_key))
    await an.send("/toi")
    profile = await an.expect("/xoadulieu")
    hint = next(line for line in profile.text.splitlines() if "/xoadulieu" in line)
    await an.send("/xoadulieu")
    await an.expect("Xoá dữ liệu của đồng chí?", "đồng chí sẽ rời các chi bộ")
    await an.press("Không, giữ lại")
    await an.expect("không xoá gì cả")
    await an.send("/roi")
    await an.expect("Đồng chí muốn rời chi bộ nào?")
    await an.press(f"Rời {branch.name}")
    await an.expect("cần mã tham gia mới")
    await an.press("Có, rời chi bộ")
    await an.expect("Đồng chí đã rời Chi bộ thôn 1")
    erase_start = len(an.bot_events(an.chat_key))
    await an.send("/xoadulieu")
    await an.expect("Xoá dữ liệu của đồng chí?")
    await an.press("Đồng ý xoá dữ liệu")
    await an.expect("Dữ liệu của đồng chí đã được xoá", "Cảm ơn đồng chí")
    # The profile's other lines belong to other features: only its /xoadulieu line is checked.
    said = [hint, *(t for t in _said_since(an, start) if t != profile.text)]
    assert len(_said_since(an, erase_start)) >= 2
    assert "đồng chí" in hint
    assert [t for t in said if INFORMAL.search(t)] == []
