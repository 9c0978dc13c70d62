"""The daily message on the wire is the content renderer's output: source link, exact text, no note."""

from __future__ import annotations

from datetime import datetime

from bot.content.loader import load_library
from bot.content.render import render_item, verse_lines
from tests.conftest import join_member
from tests.daily.conftest import tick_at


def _item_in(visible: str):  # type: ignore[no-untyped-def]
    found = [i for i in load_library().all() if verse_lines(i.text) in visible]
    assert len(found) == 1, [i.id for i in found]
    return found[0]


async def test_telegram_daily_is_rendered_by_the_content_renderer(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5301, "Trần Văn An")
    await tick_at(bot, clock, datetime(2026, 3, 4, 6, 30))
    msg = await an.expect("Học Bác mỗi ngày", "— Hồ Chí Minh", "Nguồn: ")
    item = _item_in(msg.text)
    assert msg.html == render_item(item)  # the one renderer, unchanged on the way
    assert f'Nguồn: <a href="{item.source_url}">' in msg.html
    assert item.source_url not in msg.text  # a link on Telegram, not a bare address
    await an.send("/homnay")
    again = await an.expect("Học Bác mỗi ngày", "Nguồn: ")
    assert again.html == msg.html
