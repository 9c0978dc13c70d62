"""The thematic months of /caidat_chibo decide when the secretary is reminded of the thematic meeting."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select

from bot.features.branch_settings.service import BranchSettingsService
from bot.features.meetings.reminders import due_reminders, thematic_window
from bot.features.meetings.scheduling import MeetingScheduling
from bot.services.calendar import CalendarSettings
from storage.models.outbox import OutboxMessage
from tests.conftest import TZ


def _cal(months: tuple[int, ...]) -> CalendarSettings:
    return CalendarSettings(20, time(19, 30), months, (time(21), time(7)), time(8))


def test_window_runs_from_the_previous_thematic_month():
    assert thematic_window(_cal((3, 6, 9, 12)), date(2026, 3, 2)) == (date(2026, 1, 1), date(2026, 4, 1))
    assert thematic_window(_cal((2, 5, 8, 11)), date(2026, 5, 2)) == (date(2026, 3, 1), date(2026, 6, 1))
    assert thematic_window(_cal((2, 5, 8, 11)), date(2026, 2, 2)) == (date(2025, 12, 1), date(2026, 3, 1))
    assert thematic_window(_cal((12,)), date(2026, 12, 2)) == (date(2026, 1, 1), date(2027, 1, 1))
    kinds = [k for k, _p, _d in due_reminders(_cal((3, 6, 9, 12)), date(2026, 3, 2))]
    assert "thematic" in kinds
    assert "thematic" not in [k for k, _p, _d in due_reminders(_cal((2, 5, 8, 11)), date(2026, 3, 2))]


async def _thematic_rows(bot) -> list[str]:  # type: ignore[no-untyped-def]
    async with bot.app.db.session() as s:
        keys = (await s.execute(select(OutboxMessage.key).where(OutboxMessage.kind == "reminder"))).scalars()
        return sorted(k for k in keys if k.startswith("remind:thematic:"))


async def test_changing_the_months_moves_the_reminder(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    sec = branch.secretary
    svc = bot.app.services.get(BranchSettingsService)
    await svc.update(branch.secretary_actor, branch.branch_id, meeting_day=20)
    # The secretary sets the thematic months to 2, 5, 8, 11 in chat.
    await sec.send("/caidat_chibo")
    await sec.expect("Sinh hoạt định kỳ")
    settings = await svc.get(branch.secretary_actor, branch.branch_id)
    assert settings.thematic_months == [3, 6, 9, 12]
    await svc.update(branch.secretary_actor, branch.branch_id, thematic_months=[2, 5, 8, 11])
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=TZ))  # March is no thematic month any more: no reminder
    await bot.tick(only=["secretary_reminders"])
    await sec.expect_nothing(0.3)
    assert await _thematic_rows(bot) == []
    # In April the secretary holds one: May (its thematic month) needs no reminder.
    clock.set(datetime(2026, 4, 2, 9, 0, tzinfo=TZ))
    await bot.app.services.get(MeetingScheduling).schedule(
        branch.secretary_actor, branch.branch_id, kind="thematic", starts_local=datetime(2026, 4, 10, 19, 30),
        place="Hội trường", topic="Chỉ thị 05")
    clock.set(datetime(2026, 5, 2, 9, 0, tzinfo=TZ))
    await bot.tick(only=["secretary_reminders"])
    assert await _thematic_rows(bot) == []
    # August: nothing since May's window, so the secretary is reminded, naming the months.
    clock.set(datetime(2026, 8, 2, 9, 0, tzinfo=TZ))
    await bot.tick(only=["secretary_reminders"])
    await sec.expect("chưa có lịch sinh hoạt chuyên đề tháng 8", "các tháng 2, 5, 8, 11")
    sec_id = branch.secretary_actor.person_id
    assert await _thematic_rows(bot) == [f"remind:thematic:{branch.branch_id}:2026-08:{sec_id}"]
