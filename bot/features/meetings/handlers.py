"""Meetings: schedule (/hop), notice with RSVP, attendance (/diemdanh), check-in (/comat), rates, settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.features.meetings.attendance import MeetingAttendance
from bot.features.meetings.callbacks import (
    AllYesAttended,
    AttendanceFor,
    AttendanceSheet,
    BranchSettingsFor,
    MeetingFor,
    MeetingFromReminder,
    OneTapNotice,
    RatesFor,
    Rsvp,
    SendNotice,
    ToggleAttendance,
)
from bot.features.meetings.models import MeetingKind
from bot.features.meetings.notices import MeetingNotices
from bot.features.meetings.rates import MeetingRates
from bot.features.meetings.scheduling import MeetingScheduling, is_odd_hour, kind_label
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.context import Ctx
from bot.kernel.forms import AskChoice, AskText, Form, Invalid, Step, parse_day
from bot.kernel.media_intake import store_media
from bot.kernel.routing import Router
from bot.messages import Button, esc
from bot.services.calendar import BranchSettingsService, parse_hhmm
from bot.services.errors import InvalidInput

router = Router("meetings")

def KINDS(_c: Ctx, _d: dict[str, Any]) -> list[tuple[str, str]]:
    return [(MeetingKind.REGULAR.value, _("Regular (định kỳ)")),
            (MeetingKind.THEMATIC.value, _("Thematic (chuyên đề)"))]


@dataclass
class AskMeetingDate(Step):
    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        day = parse_day(ctx.inbound.text or "", ctx.today)
        if day is None:
            raise Invalid(
                _("Please type a date as DD/MM, e.g. {example}.").format(example=ctx.today.strftime("%d/%m"))
            )
        if day < ctx.today:
            raise Invalid(_("That date is in the past. Please choose a date from today on."))
        return day.isoformat()


@dataclass
class AskMeetingTime(Step):
    def options(self, ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
        default = data.get("default_time")
        return [(default, default)] if default else []

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        value = self.pressed(ctx, data, data.get("_nonce", "")) or ctx.inbound.text or ""
        t = parse_hhmm(value)
        if t is None:
            raise Invalid(_("Please type a time as HH:MM, e.g. 19:30."))
        starts = datetime.combine(date.fromisoformat(data["date"]), t)
        if starts <= ctx.local_now.replace(tzinfo=None):
            raise Invalid(_("That date and time are in the past. Please choose a later one."))
        return t.strftime("%H:%M")


@dataclass
class AskDocument(Step):
    def options(self, ctx: Ctx, data: dict[str, Any]) -> list[tuple[str, str]]:
        return [("__skip__", _("No document ⏭"))]

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        if self.pressed(ctx, data, data.get("_nonce", "")) == "__skip__":
            return []
        media = [m for m in ctx.inbound.media if m.kind in ("photo", "document")]
        if not media:
            raise Invalid(_("Please send a PDF, a Word document or a photo, or press the button to go on."))
        try:
            return [await store_media(ctx, media[-1])]
        except InvalidInput as exc:
            raise Invalid(exc.message) from exc


def _odd(d: dict[str, Any]) -> bool:
    t = parse_hhmm(d.get("time") or "")
    return t is not None and is_odd_hour(t)


async def _scheduled(ctx: Ctx, data: dict[str, Any]) -> None:
    actor = ctx.require_actor()
    t = parse_hhmm(data["time"])
    assert t is not None
    m = await ctx.svc(MeetingScheduling).schedule(
        actor,
        data["branch_id"],
        kind=data["kind"],
        starts_local=datetime.combine(date.fromisoformat(data["date"]), t),
        place=data.get("place") or "",
        topic=data.get("topic") or "",
        documents=data.get("docs") or None,
        confirmed_odd_hour=data.get("sure") == "yes",
    )
    local = m.starts_at.astimezone(ctx.services.deps.clock.tz)
    await ctx.reply(
        _(
            "✅ Scheduled: {kind} at {time} on {date}. Check-in code: <b>{code}</b> (read it out at the "
            "meeting)."
        ).format(
            kind=kind_label(m.kind),
            time=local.strftime("%H:%M"),
            date=local.strftime("%d/%m/%Y"),
            code=m.checkin_code,
        ),
        [[Button(_("📨 Send members the notice"), SendNotice(m.id).pack())]],
    )


router.form(
    Form(
        "meeting",
        steps=[
            AskChoice(
                "kind",
                lambda c, d: _("Which kind of meeting?"),
                choices=KINDS,
                skip_if=lambda d: bool(d.get("kind")),
            ),
            AskMeetingDate(
                "date", lambda c, d: _("On which date? (DD/MM)"), skip_if=lambda d: bool(d.get("date"))
            ),
            AskMeetingTime("time", lambda c, d: _("At what time? (HH:MM)")),
            AskChoice(
                "sure",
                lambda c, d: _("A meeting at {time}: are you sure?").format(time=d.get("time")),
                choices=lambda c, d: [("yes", _("Yes, I am sure")), ("no", _("No, change the time"))],
                skip_if=lambda d: not _odd(d),
                next=lambda d: "time" if d.get("sure") == "no" else None,
            ),
            AskText("place", lambda c, d: _("Where?"), max_len=300, optional=True),
            AskText("topic", lambda c, d: _("The topic or agenda?"), max_len=500, optional=True),
            AskDocument(
                "docs", lambda c, d: _("Attach a document for members (PDF, Word or photo), or go on.")
            ),
        ],
        on_complete=_scheduled,
    )
)


async def _start_meeting(ctx: Ctx, branch_id: int, kind: str = "", day: str = "") -> None:
    default = (await ctx.svc(MeetingScheduling).default_time(branch_id)).strftime("%H:%M")
    await ctx.forms.start(
        "meeting", {"branch_id": branch_id, "kind": kind, "date": day, "default_time": default}
    )


@router.command("hop", "meeting", help=lambda: _("schedule a branch meeting"), audience="manager")
async def meeting(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, MeetingFor)
    if branch_id is not None:
        await _start_meeting(ctx, branch_id)


@router.button(MeetingFor)
async def meeting_for(ctx: Ctx, data: MeetingFor) -> None:
    await _start_meeting(ctx, data.branch_id)


@router.button(MeetingFromReminder)
async def meeting_from_reminder(ctx: Ctx, data: MeetingFromReminder) -> None:
    """From a reminder: the kind, and the planned day unless it has passed."""
    kind = MeetingKind.THEMATIC.value if data.kind == "thematic" else MeetingKind.REGULAR.value
    day = data.day.isoformat() if data.day is not None and data.day >= ctx.today else ""
    await _start_meeting(ctx, data.branch_id, kind, day)


@router.button(OneTapNotice)
async def one_tap_notice(ctx: Ctx, data: OneTapNotice) -> None:
    """Tomorrow's meeting: schedule it with the usual time if needed and notify."""
    actor = ctx.require_actor()
    svc = ctx.svc(MeetingScheduling)
    branch_id, day = data.branch_id, data.day
    m = await svc.for_date(actor, branch_id, datetime.combine(day, datetime.min.time()))
    if m is None:
        t = await svc.default_time(branch_id)
        m = await svc.schedule(
            actor,
            branch_id,
            kind=MeetingKind.REGULAR.value,
            starts_local=datetime.combine(day, t),
            confirmed_odd_hour=True,
        )
    n = await ctx.svc(MeetingNotices).send_notice(actor, m.id)
    await ctx.reply(
        _("📨 The meeting notice was sent to {n} members. Check-in code: <b>{code}</b>.").format(
            n=n, code=m.checkin_code
        )
    )


@router.button(SendNotice)
async def send_notice(ctx: Ctx, data: SendNotice) -> None:
    n = await ctx.svc(MeetingNotices).send_notice(ctx.require_actor(), data.meeting_id)
    await ctx.reply(_("📨 The meeting notice was sent to {n} members.").format(n=n))


# --- members answer ------------------------------------------------------------------------------


async def _absence(ctx: Ctx, data: dict[str, Any]) -> None:
    await ctx.svc(MeetingNotices).rsvp(ctx.require_actor(), data["meeting_id"], False, data.get("reason"))
    await ctx.reply(_("🙏 Noted: you will be absent. The secretary can see your reason."))


router.form(
    Form(
        "meeting_absence",
        steps=[
            AskText("reason", lambda c, d: _("Please give the reason you cannot attend:"), max_len=500),
        ],
        on_complete=_absence,
    )
)


@router.button(Rsvp)
async def rsvp(ctx: Ctx, data: Rsvp) -> None:
    if data.attend:
        await ctx.svc(MeetingNotices).rsvp(ctx.require_actor(), data.meeting_id, True)
        await ctx.reply(_("✅ Noted: you will attend. See you at the meeting!"))
        return
    await ctx.svc(MeetingNotices).rsvp(ctx.require_actor(), data.meeting_id, False)  # checks the member first
    await ctx.forms.start("meeting_absence", {"meeting_id": data.meeting_id})


@router.command("comat", "checkin", help=lambda: _("check in at a meeting: /comat CODE"), audience="member")
async def check_in(ctx: Ctx) -> None:
    code = ctx.inbound.args.strip()
    if not code:
        await ctx.reply(_("Please send the code the secretary reads out, e.g. /comat 1234"))
        return
    m = await ctx.svc(MeetingAttendance).check_in(ctx.require_actor(), code)
    local = m.starts_at.astimezone(ctx.services.deps.clock.tz)
    await ctx.reply(
        _("✅ You are checked in at the {kind} of {date}.").format(
            kind=kind_label(m.kind), date=local.strftime("%d/%m/%Y")
        )
    )


# --- attendance ------------------------------------------------------------------------------------


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
        code=m.checkin_code,
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
    return text, buttons


@router.button(AttendanceSheet)
async def attendance_sheet(ctx: Ctx, data: AttendanceSheet) -> None:
    text, buttons = await _sheet(ctx, data.meeting_id)
    await ctx.reply(text, buttons)


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
            pct=f"{branch_rate.pct:g}%" if branch_rate.pct is not None else "—",
            present=branch_rate.present,
            expected=branch_rate.expected,
        )
    ]
    for _m, person in await ctx.svc(OrgService).members(actor, branch_id):
        r = await svc.member_year_rate(actor, branch_id, person.id, year)
        lines.append(f"• {esc(person.display_name)}: {r.present}/{r.expected}")
    await ctx.reply("\n".join(lines))


# --- branch settings -------------------------------------------------------------------------------


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
    return None if parse_hhmm(v) else _("Please type a time as HH:MM, e.g. 19:30.")


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
        if len(parts) == 2 and all(parse_hhmm(p) for p in parts)
        else _("Please type quiet hours as HH:MM-HH:MM, e.g. 21:00-07:00.")
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
            AskSetting("time", lambda c, d: _("Time of the regular meeting (HH:MM)?"), check=_check_time),
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
                lambda c, d: _("At what time of day should I remind you (HH:MM)?"),
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
