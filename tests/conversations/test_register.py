"""The bot speaks to members in one register: "đồng chí", never "Mình … bạn" (issue #20), on both channels.

Before, the unknown-message reply was "Mình chưa hiểu ý bạn. Gửi /help để xem những việc mình có thể giúp."
and the waiting reply "Yêu cầu tham gia của bạn đang chờ bí thư chi bộ duyệt. Mình sẽ báo ngay khi được duyệt."
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import join_member

BOTH = pytest.mark.parametrize("channel", ["telegram", "zalo"])
INFORMAL = re.compile(r"(?<!\w)(bạn|mình)(?!\w)", re.IGNORECASE)


def formal(text: str) -> str:
    assert not INFORMAL.search(text), text
    return text


@BOTH
async def test_waiting_member_and_unknown_message_are_answered_as_dong_chi(kit):
    binh = kit.user("5401", "Lê Thị Bình")
    await binh.send("/start")
    formal((await binh.expect("Chào mừng đồng chí đến với", "mã tham gia")).text)
    await binh.send(await kit.branch.join_code(kit.bot))
    formal((await binh.expect("đã được gửi tới bí thư", "Đồng chí sẽ được báo ngay khi yêu cầu được duyệt")).text)
    await binh.send("xin chào")
    formal((await binh.expect("Yêu cầu tham gia của đồng chí đang chờ bí thư chi bộ duyệt",
                              "Đồng chí sẽ được báo ngay")).text)

    an = await kit.join("5402", "Trần Văn An")
    await an.send("zzz")
    reply = formal((await an.expect("Xin lỗi, chưa rõ ý đồng chí.", "/help")).text)
    assert "Mình chưa hiểu ý bạn" not in reply
    await an.send("/khonglenhnay")
    formal((await an.expect("Không có lệnh /khonglenhnay", "Đồng chí gửi /help")).text)
    await an.send("/help")
    formal((await an.expect("Đồng chí có thể dùng")).text)


async def test_pledge_steps_and_the_branch_name_read_right(bot, fake_tg, branch):
    an = await join_member(bot, fake_tg, branch, 5403, "Trần Văn An")
    await an.send("/dangky")
    intro = formal((await an.expect("Phiếu đăng ký học tập và làm theo Bác", "Sau đây là vài câu hỏi ngắn")).text)
    assert "nhiệm vụ của đồng chí" in intro
    formal((await an.expect("Chức vụ hoặc nhiệm vụ của đồng chí là gì?")).text)
    await an.send("giáo viên")
    formal((await an.expect("Việc làm 1: đồng chí sẽ làm gì?")).text)
    await an.send("/huy")
    await an.expect("Phiếu của đồng chí đã được giữ làm bản nháp")
    # The branch is "Chi bộ thôn 1": it is never called "chi bộ Chi bộ thôn 1".
    await an.send("/roi")
    leave = await an.expect("muốn rời chi bộ nào")
    assert any(b == f"Rời {branch.name}" for b in leave.buttons), leave.buttons
    assert all("chi bộ chi bộ" not in m.text.casefold() for m in fake_tg.messages_for(an.id))
