"""The branch's calendar in chat (/caidat_chibo: regular meeting day and time, thematic months, quiet hours,
reminder time) and the committee's lagging thresholds (/nguong)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.features.branch_settings.callbacks import BranchSettingsFor
from bot.features.branch_settings.service import BranchSettingsService
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.context import Ctx
from bot.kernel.forms import Form, Invalid, Step
from bot.kernel.routing import Router
from bot.services.errors import InvalidInput
from bot.services.permissions import committee_org
from bot.services.when import WhenError, parse_time, read_time

router = Router("branch_settings")


@dataclass
class AskSetting(Step):
    """Free text checked by ``check``; "Keep" keeps the current value."""

    check: Any = None

    def options(self, ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
        return [("__keep__", _("Keep: {value}").format(value=data.get("cur_" + self.key, "")))]

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        if self.pressed(ctx, data, data.get("_nonce", "")) == "__keep__":
            return None
        value = (ctx.inbound.text or "").strip()
        problem = self.check(value)
        if problem:
            raise Invalid(problem)
        return value


def _check_day(v: str) -> str | None:
    return None if v.isdigit() and 1 <= int(v) <= 28 else _("The meeting day must be between 1 and 28.")


def _check_time(v: str) -> str | None:
    try:
        read_time(v)
    except WhenError as exc:
        return exc.message
    return None


def _months(v: str) -> list[int]:
    return [int(x) for x in re.split(r"[,\s;]+", v) if x.isdigit()]


def _check_months(v: str) -> str | None:
    ms = _months(v)
    return (
        None
        if ms and all(1 <= m <= 12 for m in ms)
        else _("Please list months from 1 to 12, e.g. 3, 6, 9, 12.")
    )


def _check_quiet(v: str) -> str | None:
    parts = re.split(r"\s*[-–]\s*", v)
    return (
        None
        if len(parts) == 2 and all(parse_time(p) for p in parts)
        else _("Please type the quiet hours as a start and an end, e.g. 21:00-07:00.")
    )


async def _save_settings(ctx: Ctx, data: dict[str, Any]) -> None:
    quiet = re.split(r"\s*[-–]\s*", data["quiet"]) if data.get("quiet") else None
    row = await ctx.svc(BranchSettingsService).update(
        ctx.require_actor(),
        data["branch_id"],
        meeting_day=int(data["day"]) if data.get("day") else None,
        meeting_time=data.get("time"),
        thematic_months=_months(data["months"]) if data.get("months") else None,
        quiet=(quiet[0], quiet[1]) if quiet else None,
        reminder_time=data.get("remind"),
    )
    await ctx.reply(
        _(
            "✅ Saved. Regular meeting: day {day} at {time}; thematic meetings in months {months}; "
            "quiet hours {qs}–{qe}; reminders at {remind}."
        ).format(
            day=row.meeting_day,
            time=row.meeting_time,
            months=", ".join(map(str, row.thematic_months)),
            qs=row.quiet_start,
            qe=row.quiet_end,
            remind=row.reminder_time,
        )
    )


router.form(
    Form(
        "branch_settings",
        steps=[
            AskSetting(
                "day", lambda c, d: _("Day of the month of the regular meeting (1–28)?"), check=_check_day
            ),
            AskSetting("time", lambda c, d: _("Time of the regular meeting? E.g. 19:30 or 19h."), check=_check_time),
            AskSetting(
                "months",
                lambda c, d: _("Months of the thematic meeting (e.g. 3, 6, 9, 12)?"),
                check=_check_months,
            ),
            AskSetting(
                "quiet",
                lambda c, d: _("Quiet hours, when I send nothing (e.g. 21:00-07:00)?"),
                check=_check_quiet,
            ),
            AskSetting(
                "remind",
                lambda c, d: _("At what time of day should I remind you? E.g. 07:00 or 7h sáng."),
                check=_check_time,
            ),
        ],
        on_complete=_save_settings,
    )
)


async def _settings(ctx: Ctx, branch_id: int) -> None:
    row = await ctx.svc(BranchSettingsService).get(ctx.require_actor(), branch_id)
    await ctx.forms.start(
        "branch_settings",
        {
            "branch_id": branch_id,
            "cur_day": str(row.meeting_day),
            "cur_time": row.meeting_time,
            "cur_months": ", ".join(map(str, row.thematic_months)),
            "cur_quiet": f"{row.quiet_start}-{row.quiet_end}",
            "cur_remind": row.reminder_time,
        },
    )


@router.command(
    "caidat_chibo", "branch_settings", help=lambda: _("branch calendar and reminders"), audience="manager"
)
async def settings_cmd(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, BranchSettingsFor)
    if branch_id is not None:
        await _settings(ctx, branch_id)


@router.button(BranchSettingsFor)
async def settings_for(ctx: Ctx, data: BranchSettingsFor) -> None:
    await _settings(ctx, data.branch_id)


@router.command(
    "nguong", "thresholds", help=lambda: _("lagging thresholds: /nguong 80"), audience="committee"
)
async def thresholds(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    org_id = committee_org(actor)
    if org_id is None:
        raise InvalidInput(_("This command is only for Party committee administrators."))
    svc = ctx.svc(BranchSettingsService)
    arg = ctx.inbound.args.strip().rstrip("%")
    if arg:
        if not arg.isdigit():
            raise InvalidInput(_("Please send a number from 0 to 100, e.g. /nguong 80"))
        row = await svc.set_thresholds(actor, org_id, min_attendance_pct=int(arg))
    else:
        row = await svc.thresholds(actor, org_id)
    await ctx.reply(
        _(
            "A branch is flagged when attendance is under {pct}%, when it has no thematic meeting in "
            "the quarter, or no good deeds in the month. Change with /nguong NUMBER."
        ).format(pct=row.min_attendance_pct)
    )
