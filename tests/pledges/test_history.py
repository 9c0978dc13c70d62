"""A pledge's history (versions, dates, decisions, return comments) and an amendment's changes, deed by deed,
for the member (both channels) and the secretary."""

from __future__ import annotations

import pytest

from bot.features.pledges.history import diff_lines
from tests.pledges.conftest import DEEDS, fill_pledge


async def _send(user) -> None:  # type: ignore[no-untyped-def]
    await user.expect("Sau khi gửi, bản đăng ký chờ bí thư duyệt")
    await user.press("Xác nhận gửi")
    await user.expect("Đã gửi!")


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_member_and_secretary_see_history_and_changes(kit):
    kit.fake_tg.limits.enabled = False
    sec = kit.branch.secretary
    an = await kit.join("7101", "Trần Văn An")
    await fill_pledge(an)
    await an.press("Gửi bí thư")
    await _send(an)
    await sec.expect("Phiếu đăng ký mới cần duyệt", "Trần Văn An")
    await sec.press("Trả lại kèm góp ý")
    await sec.expect("Đồng chí Trần Văn An cần sửa gì?")
    await sec.send("việc 1 cần <b>tiêu chí</b> có số liệu")
    await sec.expect("Đã trả lại phiếu của Trần Văn An")
    back = await an.expect("Bí thư đã trả lại phiếu")
    await an.press("Sửa phiếu", message=back)
    await an.expect("Phiếu bị trả lại — sửa rồi gửi lại")
    await an.press("Sửa việc 1")
    await an.expect("Việc làm 1: đồng chí sẽ làm gì?")
    await an.send(DEEDS[0][0])
    await an.expect("đo kết quả")
    await an.send("2 hộ được vay 50 triệu đồng")
    await an.expect("khi nào")
    await an.send(DEEDS[0][2])
    await an.expect("Phiếu bị trả lại", "2 hộ được vay 50 triệu đồng")
    await an.press("Gửi bí thư")
    await _send(an)
    await sec.expect("Phiếu đăng ký mới cần duyệt", "2 hộ được vay 50 triệu đồng")
    await sec.press("Duyệt phiếu")
    await sec.expect("Đã duyệt phiếu của Trần Văn An")
    await an.expect("đã được bí thư duyệt")
    # The amendment: deed 1 gets a new deadline, deed 2 is added.
    await an.send("/dangky")
    await an.expect("đã được duyệt", "xem hay bổ sung")
    await an.press("Bổ sung")
    await an.expect("Bổ sung phiếu — xem lại trước khi gửi")
    await an.press("Sửa việc 1")
    await an.expect("Việc làm 1: đồng chí sẽ làm gì?")
    await an.send(DEEDS[0][0])
    await an.expect("đo kết quả")
    await an.send("2 hộ được vay 50 triệu đồng")
    await an.expect("khi nào")
    await an.send("trước tháng 7/2026")
    await an.expect("Bổ sung phiếu — xem lại trước khi gửi")
    await an.press("Thêm việc làm")
    await an.expect("Việc làm 2: đồng chí sẽ làm gì?")
    await an.send(DEEDS[1][0])
    await an.expect("đo kết quả")
    await an.send(DEEDS[1][1])
    await an.expect("khi nào")
    await an.send(DEEDS[1][2])
    await an.expect("Bổ sung phiếu", DEEDS[1][0])
    await an.press("Gửi bổ sung cho bí thư")
    await _send(an)
    notice = await sec.expect("Phiếu bổ sung cần duyệt", DEEDS[1][0])
    assert notice.buttons[2:] == ["🔀 Thay đổi ở lần gửi 3", "🗂 Lịch sử"]
    await sec.press("Lịch sử", message=notice)
    seen = await sec.expect("Lịch sử phiếu đăng ký năm 2026", "Trần Văn An")
    assert "việc 1 cần <b>tiêu chí</b> có số liệu" in seen.text
    await sec.press("Thay đổi ở lần gửi 3", message=notice)
    diff = await sec.expect("Thay đổi ở lần gửi 3", "Trần Văn An")
    assert "So với lần gửi 2 đã được duyệt" in diff.text
    assert "Việc 1 thay đổi" in diff.text and "«trước tháng 9/2026» → «trước tháng 7/2026»" in diff.text
    assert f"Việc 2 (mới): {DEEDS[1][0]}" in diff.text
    assert "Chức vụ" not in diff.text  # unchanged parts are not listed
    # The member's history: every version, who decided and when, the return comment as typed (escaped).
    await an.send("/camket")
    card = await an.expect("phần bổ sung đang chờ bí thư duyệt")
    await an.press("Lịch sử", message=card)
    history = await an.expect("Lịch sử phiếu đăng ký năm 2026", "Trần Văn An")
    lines = history.text.splitlines()
    assert lines[1].startswith("• Lần gửi 1, ngày 02/03/2026: trả lại (Nguyễn Thị Lan, ngày 02/03/2026)")
    assert lines[2] == "   💬 Nhận xét: việc 1 cần <b>tiêu chí</b> có số liệu"  # shown as typed, not as markup
    assert lines[3].startswith("• Lần gửi 2, ngày 02/03/2026: đã duyệt (Nguyễn Thị Lan")
    assert lines[4] == "• Lần gửi 3, ngày 02/03/2026: chờ duyệt — phần bổ sung"
    await an.press("Thay đổi ở lần gửi 3", message=history)
    mine = await an.expect("Thay đổi ở lần gửi 3")
    assert f"Việc 2 (mới): {DEEDS[1][0]}" in mine.text


async def test_another_branch_cannot_read_the_history(bot, fake_tg, branch):
    from bot.features.pledges.callbacks import PledgeChanges, PledgeHistoryView
    from tests.conftest import seed_branch

    fake_tg.limits.enabled = False
    sec = branch.secretary
    await fill_pledge(sec)
    await sec.press("Gửi bí thư")
    await _send(sec)
    other = await seed_branch(bot, fake_tg, org_name="Đảng bộ B", branch_name="Chi bộ khu 5",
                              secretary_id=9401, secretary_name="Vũ Minh")
    await other.secretary.send("/toi")
    own = await other.secretary.expect("Vũ Minh")
    await other.secretary.press_data(PledgeHistoryView(1).pack(), own)
    await other.secretary.expect("không có quyền")
    await other.secretary.press_data(PledgeChanges(1, 1).pack(), own)
    await other.secretary.expect("không có quyền")


def test_diff_lists_changes_deed_by_deed_and_escapes():
    old = {"duty": "giáo viên", "items": [{"id": 1, "what": "A", "criterion": "x", "when": "t9"},
                                          {"id": 2, "what": "B", "criterion": "y", "when": "t10"}],
           "shortcoming": "muộn", "remedy": "sớm", "commitment": "c"}
    new = {"duty": "giáo viên <i>chủ nhiệm</i>", "items": [{"id": 1, "what": "A", "criterion": "x", "when": "t9"},
                                                            {"id": None, "what": "C & D", "criterion": "z",
                                                             "when": "t12"}],
           "shortcoming": "muộn", "remedy": "sớm hơn", "commitment": "c"}
    lines = diff_lines(old, new)
    text = "\n".join(lines)
    assert "«giáo viên» → «giáo viên &lt;i&gt;chủ nhiệm&lt;/i&gt;»" in text
    assert "C &amp; D" in text and "B" in lines[-3]  # deed 2 removed, then the remedy, then the count
    assert "«sớm» → «sớm hơn»" in text
    assert lines[-1] == "1 việc không đổi." or lines[-1] == "1 deed(s) unchanged."
