"""The meeting form opens only for the branch's managers, and a file uploaded in a form that ends without
saving is removed again (hardening item 17)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select, update

from bot.features.meetings.callbacks import MeetingFor, MeetingFromReminder
from bot.features.meetings.models import Meeting
from bot.services.identity import invalidate
from storage.models.people import BranchRole, Membership
from storage.models.system import ConversationState
from tests.conftest import TZ, join_member


def _files(media_dir: Path) -> list[Path]:
    return [p for p in media_dir.rglob("*") if p.is_file()] if media_dir.exists() else []


def _png(seed: int) -> bytes:
    """Distinct bytes per upload (the store keys files by content)."""
    from bot.devtools.emulator.script import TINY_PNG

    return TINY_PNG + seed.to_bytes(4, "big")


async def _open_forms(bot) -> list[str]:
    async with bot.app.db.session() as s:
        rows = (await s.execute(select(ConversationState))).scalars().all()
    return [r.data["form"]["name"] for r in rows if (r.data or {}).get("form")]


async def _meetings(bot) -> int:
    async with bot.app.db.session() as s:
        return len((await s.execute(select(Meeting))).scalars().all())


async def test_a_member_forging_the_schedule_button_gets_no_form(bot, fake_tg, branch, settings):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5501, "Trần Văn An")
    await an.send("/comat")
    own = await an.expect("Vui lòng gửi mã")
    forged = [
        MeetingFor(branch.branch_id).pack(),
        MeetingFromReminder(branch.branch_id, "regular", date(2026, 3, 5)).pack(),
        MeetingFromReminder(branch.branch_id, "thematic", None).pack(),
    ]
    for data in forged:
        await an.press_data(data, own)
        await an.expect("chỉ bí thư của chi bộ mới có thể lên lịch sinh hoạt")
        assert await _open_forms(bot) == []  # refused before the form: no state, so no step to upload in
    await an.send("Định kỳ")  # the old code's first question would have taken this
    assert await _open_forms(bot) == []
    assert _files(Path(settings.media_dir)) == []
    assert await _meetings(bot) == 0


async def _to_the_document_step(sec) -> None:
    await sec.send("/hop")
    await sec.expect("Loại buổi sinh hoạt nào?")
    await sec.press("Định kỳ")
    await sec.expect("Vào ngày nào?")
    await sec.send("02/03")
    await sec.expect("Lúc mấy giờ?")
    await sec.send("19:30")
    await sec.expect("Ở đâu?")
    await sec.press("Bỏ qua")
    await sec.expect("Chủ đề")
    await sec.press("Bỏ qua")
    await sec.expect("Đính kèm tài liệu")


async def test_a_file_uploaded_in_a_form_that_ends_unsaved_is_removed(bot, fake_tg, branch, settings, clock):
    fake_tg.limits.enabled = False
    sec = branch.secretary
    media = Path(settings.media_dir)
    # Cancelled with /huy: the meeting's time passed while the secretary was at the last step, so the upload
    # is refused and the form waits there; the secretary gives up.
    await _to_the_document_step(sec)
    clock.set(datetime(2026, 3, 2, 19, 31, tzinfo=TZ))
    await sec.send_photo(_png(1))
    await sec.expect("Ngày giờ đó đã qua")
    assert len(_files(media)) == 2  # the file and its name
    assert await _open_forms(bot) == ["meeting"]
    await sec.send("/huy")
    await sec.expect("Đã huỷ")
    assert _files(media) == []
    assert await _open_forms(bot) == []

    # Left for another command: the same.
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=TZ))
    await _to_the_document_step(sec)
    clock.set(datetime(2026, 3, 2, 19, 31, tzinfo=TZ))
    await sec.send_photo(_png(2))
    await sec.expect("Ngày giờ đó đã qua")
    assert len(_files(media)) == 2
    await sec.send("/diemdanh")
    await sec.expect("Chưa có buổi sinh hoạt nào")
    assert _files(media) == []

    # Refused at the last step (the secretary was replaced meanwhile): the form ends and the file goes.
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=TZ))
    await _to_the_document_step(sec)
    async with bot.app.db.session() as s:
        await s.execute(
            update(Membership)
            .where(Membership.branch_id == branch.branch_id, Membership.person_id == branch.secretary_actor.person_id)
            .values(role=BranchRole.MEMBER.value)
        )
    await invalidate(bot.app.services.deps, [branch.secretary_actor.person_id])  # as every role writer does
    await sec.send_photo(_png(3))
    await sec.expect("không có quyền")
    assert _files(media) == []
    assert await _open_forms(bot) == []
    assert await _meetings(bot) == 0


async def test_a_saved_meeting_keeps_its_document_and_a_shared_file_is_never_removed(
    bot, fake_tg, branch, settings, clock
):
    """Cleanup removes only what the unsaved form brought in: the same bytes attached to a saved meeting stay."""
    fake_tg.limits.enabled = False
    sec = branch.secretary
    media = Path(settings.media_dir)
    await _to_the_document_step(sec)
    await sec.send_photo(_png(4))
    await sec.expect("Đã lên lịch")
    kept = _files(media)
    assert len(kept) == 2
    clock.set(datetime(2026, 3, 2, 9, 5, tzinfo=TZ))
    await sec.send("/hop")
    await sec.expect("Loại buổi sinh hoạt nào?")
    await sec.press("Định kỳ")
    await sec.expect("Vào ngày nào?")
    await sec.send("03/03")
    await sec.expect("Lúc mấy giờ?")
    await sec.send("19:30")
    await sec.expect("Ở đâu?")
    await sec.press("Bỏ qua")
    await sec.expect("Chủ đề")
    await sec.press("Bỏ qua")
    await sec.expect("Đính kèm tài liệu")
    clock.set(datetime(2026, 3, 3, 19, 31, tzinfo=TZ))
    await sec.send_photo(_png(4))  # the same document again, then the form is abandoned
    await sec.expect("Ngày giờ đó đã qua")
    await sec.send("/huy")
    await sec.expect("Đã huỷ")
    assert _files(media) == kept
