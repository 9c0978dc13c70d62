"""Tasks assigned in the minutes: told to their owner when assigned, reminded before and on the deadline,
and brought back to the secretary before the branch's next meeting ("việc cần kiểm tra").

Everything goes through the one notify path under outbox keys (``minutes_task:<task>:<stage>``,
``minutes_check:<meeting>:<person>``), so a second tick or a restart never sends twice. The tick looks at a
window of days rather than one instant, so after downtime it catches up: a reminder missed the day before
the deadline is not sent late, but the deadline's own reminder still goes out (marked overdue) for
``CATCH_UP_DAYS`` days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc
from bot.features.meetings.minutes import TaskLine, open_checks, task_due_text
from bot.features.meetings.minutes_callbacks import MinutesOpen, TaskDone
from bot.features.meetings.models import Meeting, MinutesTask
from bot.features.meetings.scheduling import kind_label
from bot.i18n import _
from bot.messages import Button, Reply, esc
from bot.services.deps import Deps, Services
from bot.services.directory import manager_ids
from bot.services.notify import notify
from bot.services.when import show, show_with_weekday
from bot.text import branch_title
from storage.models.org import Branch

BEFORE_DAYS = (1, 2)  # the "due soon" reminder: one or two days before the deadline (once)
CATCH_UP_DAYS = 3  # the deadline's reminder is still sent this many days late, then dropped
CHECK_AHEAD = timedelta(days=1)  # the secretary gets the open tasks within a day of the next meeting
TASK_KIND = "meeting_reminder"  # a Party duty like the meeting reminders: not at night, sent through a pause


def _done_button(task_id: int) -> list[list[Button]]:
    return [[Button(_("✅ Done"), TaskDone(task_id).pack())]]


def _assigned(task: MinutesTask, m: Meeting, deps: Deps) -> Reply:
    local = as_utc(m.starts_at).astimezone(deps.clock.tz)
    return Reply(
        text=_("📋 <b>A task for you</b>, assigned at the {kind} of {date}:\n{text}\nDeadline: <b>{due}</b>.\n"
               "When it is done, press the button below (or send /viec).").format(
            kind=kind_label(m.kind), date=show(local.date()), text=esc(task.text), due=show_with_weekday(task.due)),
        buttons=_done_button(task.id or 0),
    )


async def notify_assigned(s: AsyncSession, deps: Deps, task: MinutesTask, m: Meeting) -> None:
    await notify(s, deps, task.owner_id, kind=TASK_KIND, key=f"minutes_task:{task.id}:assigned",
                 render=partial(_assigned, task, m, deps), branch_id=task.branch_id, priority=1,
                 expires_at=deps.clock.now() + timedelta(days=CATCH_UP_DAYS))


def _reminder(task: MinutesTask, stage: str) -> Reply:
    if stage == "before":
        head = _("⏰ <b>Reminder: a task is due on {due}</b>").format(due=show_with_weekday(task.due))
    elif stage == "due":
        head = _("⏰ <b>A task is due today</b> ({due})").format(due=show(task.due))
    else:
        head = _("⚠️ <b>A task is overdue</b>: it was due on {due}").format(due=show(task.due))
    return Reply(
        text=head + "\n" + esc(task.text) + "\n" + _("When it is done, press the button below (or send /viec)."),
        buttons=_done_button(task.id or 0),
    )


def reminder_stage(due: date, today: date) -> str | None:
    """Which reminder is due on ``today`` for a deadline: "before", "due", "overdue" (catch-up) or none.
    "due" and "overdue" share one outbox key: whichever comes first is the only one sent."""
    left = (due - today).days
    if left in BEFORE_DAYS:
        return "before"
    if left == 0:
        return "due"
    if -CATCH_UP_DAYS <= left < 0:
        return "overdue"
    return None


async def task_reminders(s: AsyncSession, deps: Deps, now: datetime) -> None:
    tz = deps.clock.tz
    today = now.astimezone(tz).date()
    tasks = (await s.execute(
        select(MinutesTask).where(MinutesTask.done_at.is_(None),
                                  MinutesTask.due >= today - timedelta(days=CATCH_UP_DAYS),
                                  MinutesTask.due <= today + timedelta(days=max(BEFORE_DAYS)))
        .order_by(MinutesTask.id)
    )).scalars().all()
    for task in tasks:
        stage = reminder_stage(task.due, today)
        if stage is None or as_utc(task.created_at).astimezone(tz).date() >= today:
            continue  # a task assigned today was just told to its owner
        key_stage = "before" if stage == "before" else "due"
        await notify(s, deps, task.owner_id, kind=TASK_KIND, key=f"minutes_task:{task.id}:{key_stage}",
                     render=partial(_reminder, task, stage), branch_id=task.branch_id, priority=1,
                     expires_at=now + timedelta(days=1))


def _check_list(branch: Branch, m: Meeting, checks: list[TaskLine], deps: Deps) -> Reply:
    local = as_utc(m.starts_at).astimezone(deps.clock.tz)
    today = deps.clock.now().astimezone(deps.clock.tz).date()
    lines = [
        _("📋 <b>{branch}: tasks to check at the {kind} of {date}</b>").format(
            branch=esc(branch_title(branch.name)), kind=kind_label(m.kind), date=show(local.date())),
        _("Open tasks assigned at earlier meetings:"),
    ]
    lines += [f"• {esc(c.text)} — {esc(c.owner)}, {task_due_text(c, today)}" for c in checks]
    return Reply(text="\n".join(lines),
                 buttons=[[Button(_("📝 Minutes of this meeting"), MinutesOpen(m.id or 0).pack())]])


async def check_lists(s: AsyncSession, deps: Deps, now: datetime) -> None:
    """Within a day of a meeting, its branch's managers get the open tasks of earlier meetings, once."""
    meetings = (await s.execute(
        select(Meeting).where(Meeting.cancelled_at.is_(None), Meeting.starts_at > now,
                              Meeting.starts_at <= now + CHECK_AHEAD).order_by(Meeting.starts_at)
    )).scalars().all()
    for m in meetings:
        checks = await open_checks(s, m.branch_id, as_utc(m.starts_at), deps.clock.tz)
        if not checks:
            continue
        branch = await s.get(Branch, m.branch_id)
        if branch is None:
            continue
        for pid in await manager_ids(s, branch):
            await notify(s, deps, pid, kind="reminder", key=f"minutes_check:{m.id}:{pid}",
                         render=partial(_check_list, branch, m, checks, deps), branch_id=branch.id, priority=1,
                         expires_at=as_utc(m.starts_at) + timedelta(hours=3))


async def minutes_tick(services: Services, now: datetime, since: datetime | None) -> None:
    async with services.deps.db.session() as s:
        await task_reminders(s, services.deps, now)
        await check_lists(s, services.deps, now)
