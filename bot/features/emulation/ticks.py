"""Reminders before milestones: three days before and on the day, to the project's owner.

The tick looks at every milestone whose reminder window contains today (not only the minute it opened), so
a tick that did not run for a while catches up; each reminder is one outbox row keyed by milestone and
stage, so a second tick (or a restart) never repeats it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.features.emulation.models import EmulationMilestone, EmulationProject, MilestoneStatus, ProjectStatus
from bot.features.emulation.service import REMIND_DAYS_BEFORE, reminder_notice
from bot.services.deps import Services
from bot.services.notify import notify


async def milestone_reminders(services: Services, now: datetime, since: datetime | None) -> None:
    deps = services.deps
    today = now.astimezone(deps.settings.tz).date()
    async with deps.db.session() as s:
        rows = (await s.execute(
            select(EmulationMilestone, EmulationProject)
            .join(EmulationProject, EmulationProject.id == EmulationMilestone.project_id)
            .where(EmulationMilestone.status == MilestoneStatus.PLANNED.value,
                   EmulationMilestone.due >= today,
                   EmulationMilestone.due <= today + timedelta(days=REMIND_DAYS_BEFORE),
                   EmulationProject.status == ProjectStatus.REGISTERED.value))).all()
        for m, p in rows:
            stage = "day" if m.due == today else "before"
            await notify(s, deps, p.owner_id, kind="emulation_reminder", key=f"emu:remind:{m.id}:{stage}",
                         branch_id=p.branch_id, ref=f"emulation_milestone:{m.id}",
                         render=reminder_notice(m, p, today))
