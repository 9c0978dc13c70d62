"""Changing a branch's calendar (/caidat_chibo) and the committee's lagging thresholds (/nguong)."""

from __future__ import annotations

from bot.i18n import _
from bot.services import audit
from bot.services.actor import Actor
from bot.services.calendar import load_settings, load_thresholds
from bot.services.deps import Deps
from bot.services.directory import managed_branch
from bot.services.errors import InvalidInput
from bot.services.permissions import require_org_admin
from bot.services.when import parse_time, read_time
from storage.models.calendar import BranchSettings, OrgThresholds


class BranchSettingsService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def get(self, actor: Actor, branch_id: int) -> BranchSettings:
        async with self.deps.db.session() as s:
            await managed_branch(s, actor, branch_id, "settings.read")
            return await load_settings(s, branch_id)

    async def update(
        self,
        actor: Actor,
        branch_id: int,
        *,
        meeting_day: int | None = None,
        meeting_time: str | None = None,
        thematic_months: list[int] | None = None,
        quiet: tuple[str, str] | None = None,
        reminder_time: str | None = None,
    ) -> BranchSettings:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            branch = await managed_branch(s, actor, branch_id, "settings.update")
            row = await load_settings(s, branch_id)
            if meeting_day is not None:
                if not 1 <= meeting_day <= 28:
                    raise InvalidInput(_("The meeting day must be between 1 and 28."))
                row.meeting_day = meeting_day
            for name, value in (("meeting_time", meeting_time), ("reminder_time", reminder_time)):
                if value is not None:
                    parsed = read_time(value)
                    setattr(row, name, parsed.strftime("%H:%M"))
            if thematic_months is not None:
                if not thematic_months or any(not 1 <= m <= 12 for m in thematic_months):
                    raise InvalidInput(_("Please list months from 1 to 12, e.g. 3, 6, 9, 12."))
                row.thematic_months = sorted(set(thematic_months))
            if quiet is not None:
                start, end = parse_time(quiet[0]), parse_time(quiet[1])
                if start is None or end is None:
                    raise InvalidInput(_("Please type the quiet hours as a start and an end, e.g. 21:00-07:00."))
                row.quiet_start, row.quiet_end = start.strftime("%H:%M"), end.strftime("%H:%M")
            row.updated_at = now
            s.add(row)
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="branch.settings",
                org_id=branch.org_id,
                branch_id=branch.id,
            )
            await s.flush()
            return row

    async def thresholds(self, actor: Actor, org_id: int) -> OrgThresholds:
        require_org_admin(actor, org_id, "thresholds.read")
        async with self.deps.db.session() as s:
            return await load_thresholds(s, org_id)

    async def set_thresholds(
        self,
        actor: Actor,
        org_id: int,
        *,
        min_attendance_pct: int | None = None,
        require_thematic_quarter: bool | None = None,
        require_deeds_month: bool | None = None,
    ) -> OrgThresholds:
        require_org_admin(actor, org_id, "thresholds.update")
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            row = await load_thresholds(s, org_id)
            if min_attendance_pct is not None:
                if not 0 <= min_attendance_pct <= 100:
                    raise InvalidInput(_("The attendance threshold must be between 0 and 100."))
                row.min_attendance_pct = min_attendance_pct
            if require_thematic_quarter is not None:
                row.require_thematic_quarter = require_thematic_quarter
            if require_deeds_month is not None:
                row.require_deeds_month = require_deeds_month
            row.updated_at = now
            s.add(row)
            await audit.record(
                s, at=now, actor_person_id=actor.person_id, action="org.thresholds", org_id=org_id
            )
            await s.flush()
            return row
