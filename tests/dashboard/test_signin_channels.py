"""/bangdieukhien on Telegram and on Zalo: the same one-time link; Telegram alone adds the Mini App button."""

from __future__ import annotations

from typing import Any

import pytest

BASE = "https://dash.example.vn"


@pytest.fixture
def kit_extra() -> dict[str, Any]:
    return {"dashboard_url": BASE}


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_a_member_gets_a_one_time_link_on_either_channel(kit) -> None:  # type: ignore[no-untyped-def]
    an = await kit.join("5101", "Trần Văn An")
    await an.send("/bangdieukhien")
    message = await an.expect("một lần", "10 phút")
    if kit.channel == "zalo":
        assert f"{BASE}/dashboard/signin/" in message.text  # a plain link in the text: Zalo has no Mini App
    else:
        urls = [data for _label, data in message.button_data if data.startswith(f"{BASE}/dashboard/signin/")]
        assert len(urls) == 1
        rows = message.raw.reply_markup["inline_keyboard"]
        assert [b["web_app"]["url"] for row in rows for b in row if "web_app" in b] == [f"{BASE}/dashboard/"]


async def test_a_newcomer_without_a_branch_is_told_to_join_first(kit) -> None:  # type: ignore[no-untyped-def]
    guest = kit.user("5102", "Khách")
    await guest.send("/bangdieukhien")
    await guest.expect("tham gia chi bộ trước")
