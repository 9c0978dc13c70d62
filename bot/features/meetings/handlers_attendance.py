"""Meetings in chat: the secretary's attendance sheet (/diemdanh) and attendance rates (/chuyencan)."""

from __future__ import annotations

from bot.features.meetings.attendance import MeetingAttendance
from bot.features.meetings.callbacks import (
    AllYesAttended,
    AttendanceFor,
    AttendanceSheet,
    NewCheckinCode,
    RatesFor,
    ToggleAttendance,
)
from bot.features.meetings.rates import MeetingRates
from bot.features.meetings.scheduling import MeetingScheduling, kind_label
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.context import Ctx
from bot.kernel.routing import Router
from bot.messages import Button, esc
from bot.text import number

router = Router("meetings_attendance")


@router.command("diemdanh", "attendance", help=lambda: _("mark meeting attendance"), audience="manager")
async def attendance(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, AttendanceFor)
    if branch_id is not None:
        await _meetings_list(ctx, branch_id)


@router.button(AttendanceFor)
async def attendance_for(ctx: Ctx, data: AttendanceFor) -> None:
    await _meetings_list(ctx, data.branch_id)


async def _meetings_list(ctx: Ctx, branch_id: int) -> None:
    meetings = await ctx.svc(MeetingScheduling).recent(ctx.require_actor(), branch_id)
    if not meetings:
        await ctx.reply(_("No meetings yet. Schedule one with /hop."))
        return
    tz = ctx.services.deps.clock.tz
    await ctx.reply(
        _("Which meeting?"),
        [
            [
                Button(
                    f"{m.starts_at.astimezone(tz).strftime('%d/%m %H:%M')} — {kind_label(m.kind)}",
                    AttendanceSheet(m.id).pack(),
                )
            ]
            for m in meetings
        ],
    )


async def _sheet(ctx: Ctx, meeting_id: int) -> tuple[str, list[list[Button]]]:
    svc = ctx.svc(MeetingAttendance)
    actor = ctx.require_actor()
    m, roster = await svc.roster(actor, meeting_id)
    rate = await ctx.svc(MeetingRates).rate(actor, meeting_id)
    local = m.starts_at.astimezone(ctx.services.deps.clock.tz)
    text = _(
        "🧾 <b>Attendance</b> — {kind}, {date}\nCheck-in code: <b>{code}</b>\nPresent {present}/{expected}"
        " ({pct})\nTap a name to mark present or absent."
    ).format(
        kind=kind_label(m.kind),
        date=local.strftime("%H:%M %d/%m/%Y"),
        code=m.checkin_code if m.checkin_disabled_at is None else _("{code} (turned off after too many wrong tries)")
        .format(code=m.checkin_code),
        present=rate.present,
        expected=rate.expected,
        pct=f"{rate.pct:g}%" if rate.pct is not None else "—",
    )
    buttons = []
    for person, said, present in roster[:90]:
        mark = "✅" if present else "⬜"
        hint = "" if said is None else (" (+)" if said else " (−)")
        buttons.append([Button(f"{mark} {person.display_name[:40]}{hint}", ToggleAttendance(m.id, person.id).pack())])
    buttons.append([Button(_("✅ All who said yes attended"), AllYesAttended(m.id).pack())])
    buttons.append([Button(_("🔄 New check-in code"), NewCheckinCode(m.id).pack())])
    return text, buttons


@router.button(AttendanceSheet)
async def attendance_sheet(ctx: Ctx, data: AttendanceSheet) -> None:
    text, buttons = await _sheet(ctx, data.meeting_id)
    await ctx.reply(text, buttons)


@router.button(NewCheckinCode)
async def new_checkin_code(ctx: Ctx, data: NewCheckinCode) -> None:
    """The secretary issues a new code: after the old one was turned off, or when it got around."""
    m = await ctx.svc(MeetingAttendance).new_code(ctx.require_actor(), data.meeting_id)
    local = m.starts_at.astimezone(ctx.services.deps.clock.tz)
    await ctx.reply(
        _(
            "🔄 New check-in code for the {kind} of {date}: <b>{code}</b>. The old code no longer works; "
            "read this one out at the meeting."
        ).format(kind=kind_label(m.kind), date=local.strftime("%d/%m/%Y"), code=m.checkin_code)
    )


@router.button(ToggleAttendance)
async def mark(ctx: Ctx, data: ToggleAttendance) -> None:
    await ctx.svc(MeetingAttendance).toggle(ctx.require_actor(), data.meeting_id, data.person_id)
    await _show_sheet(ctx, data.meeting_id)


@router.button(AllYesAttended)
async def mark_all_yes(ctx: Ctx, data: AllYesAttended) -> None:
    await ctx.svc(MeetingAttendance).mark_all_yes(ctx.require_actor(), data.meeting_id)
    await _show_sheet(ctx, data.meeting_id)


async def _show_sheet(ctx: Ctx, meeting_id: int) -> None:
    text, buttons = await _sheet(ctx, meeting_id)
    if ctx.channel.caps.edit and ctx.inbound.message_id:
        await ctx.edit(ctx.inbound.message_id, text, buttons)
    else:
        await ctx.reply(text, buttons)


@router.command(
    "chuyencan", "attendance_rates", help=lambda: _("attendance rates this year"), audience="manager"
)
async def rates(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, RatesFor)
    if branch_id is not None:
        await _rates(ctx, branch_id)


@router.button(RatesFor)
async def rates_for(ctx: Ctx, data: RatesFor) -> None:
    await _rates(ctx, data.branch_id)


async def _rates(ctx: Ctx, branch_id: int) -> None:
    from bot.services.org import OrgService

    actor = ctx.require_actor()
    svc = ctx.svc(MeetingRates)
    year = ctx.today.year
    branch_rate = await svc.branch_year_rate(actor, branch_id, year)
    lines = [
        _("📈 <b>Attendance in {year}</b>: {pct} ({present}/{expected})").format(
            year=year,
            pct=f"{number(branch_rate.pct)}%" if branch_rate.pct is not None else "—",
            present=number(branch_rate.present),
            expected=number(branch_rate.expected),
        )
    ]
    for _m, person in await ctx.svc(OrgService).members(actor, branch_id):
        r = await svc.member_year_rate(actor, branch_id, person.id, year)
        lines.append(f"• {esc(person.display_name)}: {r.present}/{r.expected}")
    await ctx.reply("\n".join(lines))
