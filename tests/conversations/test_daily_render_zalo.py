"""On Zalo the daily item comes as plain text with the source's bare address (the same renderer)."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.content.loader import load_library
from bot.content.render import render_plain, utf16_len, verse_lines
from tests.conversations.test_zalo_cross import link
from tests.daily.conftest import tick_at

ZALO = pytest.mark.parametrize("channel", ["zalo"])


@pytest.fixture(autouse=True)
def _no_rate_limits(fake_tg) -> None:
    fake_tg.limits.enabled = False


@ZALO
async def test_zalo_daily_shows_the_bare_address(kit, clock):
    tg = await kit.join("5601", "Trần Văn An", on="telegram")
    zl = kit.zalo_user("5601", "An Zalo")
    await link(tg, zl)
    await zl.expect("qua ứng dụng nào")
    await zl.press("Zalo")
    await zl.expect("Đã lưu", "Zalo")
    await tick_at(kit.bot, clock, datetime(2026, 3, 4, 6, 30))
    msg = await zl.expect("Học Bác mỗi ngày", "— Hồ Chí Minh", "Nguồn: ")
    [item] = [i for i in load_library().all() if verse_lines(i.text) in msg.text]
    assert msg.text.startswith(render_plain(item))  # then the numbered "Đã đọc ✓" choice
    assert f"({item.source_url})" in msg.text and "<a" not in msg.text
    assert utf16_len(msg.text) <= 2000
