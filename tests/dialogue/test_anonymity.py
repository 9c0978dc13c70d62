"""Anonymous opinions never reveal their sender: every message the secretary and the committee received, the
committee's workbook and every log line are searched for the sender's name and ids. A named opinion sent
alongside shows its sender's name in the same places, so the search itself is proven able to fail."""

from __future__ import annotations

import io
import logging
import re

import openpyxl
import pytest
from sqlalchemy import select

from bot.features.dialogue.callbacks import ShowItem, WithdrawItem
from bot.features.dialogue.exports import DialogueExport
from bot.features.dialogue.models import DialogueItem
from bot.features.dialogue.service import DialogueService
from bot.services.errors import PermissionDenied
from tests.conftest import join_member
from tests.dialogue.conftest import actor_of, committee_admin

ANON_ID, ANON_NAME = 7770123, "Đỗ Minh Khôi"
NAMED_ID, NAMED_NAME = 7770456, "Ngô Thị Bình"


async def _send(user, target: str, text: str, photo: bytes | None = None) -> None:  # type: ignore[no-untyped-def]
    await user.send("/ykien")
    await user.expect("Ý kiến, kiến nghị")
    await user.press("Gửi ý kiến")
    await user.expect("gửi ý kiến tới ai")
    await user.press(target)
    await user.expect("ý kiến hay kiến nghị")
    await user.press("Kiến nghị")
    await user.expect("vui lòng viết nội dung")
    await user.send(text)
    await user.expect("gửi kèm một ảnh")
    if photo is not None:
        await user.send_photo(photo)
    else:
        await user.press("Không có ảnh")
    await user.expect("Gửi kiến nghị này")
    await user.press("✅ Gửi")
    await user.expect("Đã gửi: Kiến nghị số")


def _workbook_text(data: bytes) -> str:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames[0] == "Tổng hợp"  # the summary sheet first
    return "\n".join(str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row if c is not None)


async def test_no_screen_export_or_log_reveals_an_anonymous_sender(bot, fake_tg, branch, clock, caplog):
    fake_tg.limits.enabled = False
    caplog.set_level(logging.DEBUG)
    boss, boss_actor = await committee_admin(bot, fake_tg, branch)
    svc = bot.app.services.get(DialogueService)
    await svc.set_anonymous(boss_actor, branch.org_id, True)
    anon = await join_member(bot, fake_tg, branch, ANON_ID, ANON_NAME)
    named = await join_member(bot, fake_tg, branch, NAMED_ID, NAMED_NAME)
    anon_actor = await actor_of(bot, str(ANON_ID))
    caplog.clear()  # from here on: joining said the names to the secretary, as it should
    start = len(fake_tg.sent)

    await _send(anon, "Cấp uỷ (ẩn danh)", "Đề nghị công khai kinh phí sửa nhà văn hoá", photo=b"\x89PNG anon photo")
    await _send(anon, "Cấp uỷ (ẩn danh)", "Kiến nghị thứ hai, sẽ rút lại")
    await _send(named, "Cấp uỷ (ghi tên)", "Đề nghị mở lớp tin học cho đảng viên cao tuổi")
    await _send(named, "Bí thư chi bộ", "Đề nghị đổi giờ sinh hoạt")
    # The sender withdraws the second one: it stays, as withdrawn, still anonymous.
    await anon.send("/ykien")
    mine = await anon.expect("Kiến nghị số 2/2026: đã nhận")
    await anon.press_data(WithdrawItem(2).pack(), mine)
    await anon.expect("Rút lại Kiến nghị số 2/2026?")
    await anon.press("Đồng ý rút lại")
    await anon.expect("Đã rút lại Kiến nghị số 2/2026")

    # The committee goes through every screen it has.
    await boss.send("/hopthu")
    overview = await boss.expect("Ý kiến chưa trả lời theo chi bộ")
    assert "Chi bộ thôn 1: 3 chưa trả lời" in overview.text
    await boss.press("Hộp thư cấp uỷ")
    inbox = await boss.expect("Ý kiến gửi cấp uỷ: 3")
    for label in ("Kiến nghị số 1/2026", "Kiến nghị số 2/2026", "Kiến nghị số 3/2026"):
        await boss.press(label, message=inbox)
        await boss.expect(label)
    await boss.press_data(ShowItem(1).pack(), inbox)
    card = await boss.expect("Kiến nghị số 1/2026", "Người gửi: Ẩn danh")
    await boss.press("Đang xử lý", message=card)
    await boss.expect("người gửi đã được báo")
    await boss.press("Trả lời")
    await boss.expect("Nhập câu trả lời")
    await boss.send("Kinh phí đã được niêm yết tại trụ sở.")
    await boss.expect("Gửi câu trả lời này")
    await boss.press("Gửi câu trả lời")
    await boss.expect("Đã gửi câu trả lời")
    await anon.expect("đã được trả lời", "Kinh phí đã được niêm yết")
    await boss.send("/hopthu")
    await boss.press("Xuất Excel", message=await boss.expect("Ý kiến chưa trả lời theo chi bộ"))
    await boss.expect("tổng hợp theo chi bộ")
    workbook, _name, _branches = await bot.app.services.get(DialogueExport).workbook(boss_actor, branch.org_id)
    sheet_text = _workbook_text(workbook)

    # The secretary's screens; a forged press on the anonymous item is refused.
    sec = branch.secretary
    await sec.send("/ykien")
    sec_inbox = await sec.expect("Ý kiến gửi bí thư chi bộ: 1")
    await sec.press("Kiến nghị số 4/2026", message=sec_inbox)
    await sec.expect("Đề nghị đổi giờ sinh hoạt")
    await sec.press_data(ShowItem(1).pack(), sec_inbox)
    await sec.expect("không có quyền")
    with pytest.raises(PermissionDenied):
        await svc.item(branch.secretary_actor, 1)
    # The views the services give the committee hold no sender for the anonymous items.
    for item_id in (1, 2):
        view = await svc.item(boss_actor, item_id)
        assert view.sender_name is None and view.item.person_id is None and not view.is_sender

    screens = "\n".join(str(m.params) + str(m.edits) for m in fake_tg.sent[start:]
                        if m.chat_id in (9301, branch.secretary.chat_key))
    # The bot's own log lines at every level, and anything at INFO or above (the database driver's DEBUG
    # traces of SQL parameters are not switched on in service and are not the bot's words).
    logs = "\n".join(f"{r.name} {r.getMessage()} {r.args}" for r in caplog.records
                     if r.name.startswith("hocbac") or r.levelno >= logging.INFO)
    leaks = {
        "name": ANON_NAME,
        "user id": str(ANON_ID),
    }
    for where, text in (("screens", screens), ("workbook", sheet_text), ("logs", logs)):
        for what, needle in leaks.items():
            assert needle not in text, f"the anonymous sender's {what} appears in the {where}"
        assert not re.search(rf"person[=: ]+{anon_actor.person_id}\b", text), f"person id in the {where}"
    # The control: the named sender is shown on the same screens and in the same workbook.
    assert NAMED_NAME in screens and NAMED_NAME in sheet_text
    assert "Ẩn danh" in sheet_text and "đã rút" in sheet_text
    # And the answer reached the anonymous sender, through the sealed link only.
    async with bot.app.db.session() as s:
        rows = (await s.execute(select(DialogueItem).order_by(DialogueItem.id))).scalars().all()
    assert [(r.number, r.anonymous, r.person_id is None, r.status) for r in rows] == [
        (1, True, True, "answered"), (2, True, True, "withdrawn"), (3, False, False, "received"),
        (4, False, False, "received")]


def test_only_the_sealed_module_reads_the_sender_link():
    """DialogueSeal is named in models.py (its table) and sealed.py (its one reader), nowhere else."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "bot"
    users = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py")
                   if "DialogueSeal" in p.read_text(encoding="utf-8"))
    assert users == ["features/dialogue/feature.py", "features/dialogue/models.py",
                     "features/dialogue/sealed.py"], users
