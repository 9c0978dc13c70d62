"""Meetings in chat: the secretary's attendance sheet (/diemdanh) and attendance rates (/chuyencan)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.features.meetings.attendance import MeetingAttendance, SheetLine
from bot.features.meetings.callbacks import (
    AllPresent,
    AllYesAttended,
    AttendanceDone,
    AttendanceFor,
    AttendancePage,
    AttendanceSheet,
    CycleAttendance,
    NewCheckinCode,
    RatesFor,
    ToggleAttendance,
)
from bot.features.meetings.models import AttendanceStatus, Meeting
from bot.features.meetings.rates import MeetingRates
from bot.features.meetings.scheduling import MeetingScheduling, kind_label
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.context import Ctx
from bot.kernel.forms import Form, Invalid, Step
from bot.kernel.routing import Router
from bot.messages import Button, esc
from bot.text import fold, number

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


SHEET_OPEN_FOR = timedelta(hours=6)  # a typed line after that is not taken as marks
PAGE = 50  # names per Telegram page: a branch of 40 and its secretaries fit one screen (two names a row)
ICONS = {None: "⬜", AttendanceStatus.PRESENT.value: "✅", AttendanceStatus.EXCUSED.value: "🟡",
         AttendanceStatus.ABSENT.value: "❌"}
# The typed marks (folded): a word before the numbers says which mark; bare numbers are "absent".
_MARK_WORDS = {
    AttendanceStatus.EXCUSED.value: ("ly do", "co ly do", "vang co ly do", "l", "p", "phep", "excused"),
    AttendanceStatus.ABSENT.value: ("vang", "v", "khong ly do", "vang khong ly do", "k", "absent"),
    AttendanceStatus.PRESENT.value: ("co mat", "co", "c", "present"),
}
_TYPED = re.compile(r"^\s*(?P<word>[^\d]*?)\s*(?P<nums>\d+(?:[\s,;.]+\d+)*)\s*[:\-–]?\s*(?P<reason>.*)$", re.S)
_ALL_WORDS = ("tat ca co mat", "tat ca", "all present", "all")
_DONE_WORDS = ("xong", "done", "ket thuc")


def _icon(status: str | None) -> str:
    return ICONS.get(status, "⬜")


def _hint(line: SheetLine) -> str:
    return "" if line.said is None else (" (+)" if line.said else " (−)")


def _sheet(ctx: Ctx, m: Meeting, lines: list[SheetLine], page: int, note: str = "") -> tuple[str, list[list[Button]]]:
    local = m.starts_at.astimezone(ctx.services.deps.clock.tz)
    count = {st: sum(1 for ln in lines if ln.status == st) for st in ICONS}
    head = _(
        "🧾 <b>Attendance</b> — {kind}, {date}\nCheck-in code: <b>{code}</b>\nPresent {present}/{expected}"
        " · excused {excused} · absent without reason {absent} · not marked {unmarked}"
    ).format(
        kind=kind_label(m.kind),
        date=local.strftime("%H:%M %d/%m/%Y"),
        code=m.checkin_code if m.checkin_disabled_at is None else _("{code} (turned off after too many wrong tries)")
        .format(code=m.checkin_code),
        present=count[AttendanceStatus.PRESENT.value], expected=len(lines),
        excused=count[AttendanceStatus.EXCUSED.value], absent=count[AttendanceStatus.ABSENT.value],
        unmarked=count[None],
    )
    buttons_channel = ctx.channel.caps.buttons
    out = [note, head] if note else [head]
    # Zalo: the whole numbered list. Telegram: the names are the buttons; the text lists the exceptions.
    shown = lines if not buttons_channel else [ln for ln in lines if ln.status in ("excused", "absent")]
    if shown:
        out.append("")
    for ln in shown:
        row = f"{ln.n}. {_icon(ln.status)} {esc(ln.name)}{_hint(ln)}"
        if ln.status == AttendanceStatus.EXCUSED.value:
            row += " — " + (_("reason: {reason}").format(reason=esc(ln.reason)) if ln.reason else _("no reason given"))
        elif ln.said is False and ln.rsvp_reason and ln.status is None:
            row += " — " + _("apologised: {reason}").format(reason=esc(ln.rsvp_reason))
        out.append(row)
    out.append("")
    if buttons_channel:
        out.append(_("Tap a name: ✅ present → 🟡 excused → ❌ absent without reason."))
    out.append(_(
        "Type numbers to mark absent without reason, e.g. “3 7 12”; “lý do 5: ốm” for an absence with a reason "
        "(without a reason typed, the one given when apologising is used); “có mặt 3” to correct; "
        "“tất cả có mặt”; “xong” when done."))
    if not buttons_channel:
        return "\n".join(out), []
    pages = max(1, (len(lines) + PAGE - 1) // PAGE)
    page = min(max(page, 0), pages - 1)
    chunk = lines[page * PAGE:(page + 1) * PAGE]
    buttons = [
        [Button(f"{ln.n}.{_icon(ln.status)} {ln.name[:22]}{_hint(ln)}",
                CycleAttendance(m.id, ln.person_id, page).pack()) for ln in chunk[i:i + 2]]
        for i in range(0, len(chunk), 2)
    ]
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(Button("◀️", AttendancePage(m.id, page - 1).pack()))
        nav.append(Button(f"{page + 1}/{pages}", AttendancePage(m.id, page).pack()))
        if page < pages - 1:
            nav.append(Button("▶️", AttendancePage(m.id, page + 1).pack()))
        buttons.append(nav)
    buttons.append([Button(_("✅ Everyone present"), AllPresent(m.id, page).pack()),
                    Button(_("✔️ Done"), AttendanceDone(m.id).pack())])
    buttons.append([Button(_("🔄 New check-in code"), NewCheckinCode(m.id).pack())])
    return "\n".join(out), buttons


async def _open_sheet(ctx: Ctx, meeting_id: int, page: int = 0, note: str = "", edit: bool = False) -> None:
    """Show the sheet and keep it open for typed marks (a form: typed numbers go to it, not elsewhere)."""
    m, lines = await ctx.svc(MeetingAttendance).sheet(ctx.require_actor(), meeting_id)
    text, buttons = _sheet(ctx, m, lines, page, note)
    if edit and ctx.channel.caps.edit and ctx.inbound.message_id:
        await ctx.edit(ctx.inbound.message_id, text, buttons)
        return
    await ctx.forms.start("attendance_marks", {"meeting_id": m.id, "page": page, "sheet": text,
                                               "opened": ctx.services.deps.clock.now().isoformat(),
                                               "kb": [[[b.label, b.data] for b in row] for row in buttons]})


@dataclass
class AskMarks(Step):
    """The open sheet: its text and keyboard were built just before (prompts are not async)."""

    def buttons(self, ctx: Ctx, data: dict[str, Any], nonce: str) -> list[list[Button]]:
        return [[Button(label, cb) for label, cb in row] for row in data.get("kb") or []]

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        text = (ctx.inbound.text or "").strip()
        if not text:
            raise Invalid(_("Please type the numbers, e.g. “3 7 12”, or “xong”."))
        return text[:600]


async def _typed_marks(ctx: Ctx, data: dict[str, Any]) -> None:
    """One typed line on the open sheet: apply it and show the sheet again, still open."""
    meeting_id, page, typed = int(data["meeting_id"]), int(data.get("page") or 0), str(data["marks"])
    svc = ctx.svc(MeetingAttendance)
    actor = ctx.require_actor()
    opened = datetime.fromisoformat(str(data.get("opened") or "1970-01-01T00:00:00+00:00"))
    if ctx.services.deps.clock.now() - opened > SHEET_OPEN_FOR:
        # A sheet left open hours ago must not take today's message as marks: it closes instead.
        await ctx.reply(_("The attendance sheet had been open for hours, so it was closed and your message was "
                          "not used as marks. Please send it again, or open the sheet with /diemdanh."))
        return
    folded = fold(typed)
    if folded in _DONE_WORDS:
        await _done(ctx, meeting_id)
        return
    if folded in _ALL_WORDS:
        n = await svc.mark_all_present(actor, meeting_id)
        await _open_sheet(ctx, meeting_id, page, _("✅ {n} more members marked present.").format(n=n))
        return
    match = _TYPED.match(typed)
    word = fold(match.group("word")) if match else ""
    status = next((st for st, words in _MARK_WORDS.items() if word in words), None) if word else \
        AttendanceStatus.ABSENT.value
    if match is None or status is None:
        await _open_sheet(ctx, meeting_id, page, "⚠️ " + _(
            "I did not understand “{text}”. Type numbers from the list, e.g. “3 7 12”.").format(text=esc(typed[:60])))
        return
    _m, lines = await svc.sheet(actor, meeting_id)
    by_n = {ln.n: ln for ln in lines}
    numbers = [int(x) for x in re.findall(r"\d+", match.group("nums"))]
    unknown = [n for n in numbers if n not in by_n]
    if unknown:
        await _open_sheet(ctx, meeting_id, page, "⚠️ " + _(
            "There is no number {numbers} on the list (1–{last}). Nothing was changed.").format(
                numbers=", ".join(str(n) for n in unknown), last=len(lines)))
        return
    reason = match.group("reason").strip() or None
    if reason is not None and status != AttendanceStatus.EXCUSED.value:
        await _open_sheet(ctx, meeting_id, page, "⚠️ " + _(
            "Only an absence with a reason takes a reason: type “lý do {n}: …”. Nothing was changed.").format(
                n=numbers[0]))
        return
    marked = await svc.set_marks(actor, meeting_id, [by_n[n].person_id for n in numbers], status, reason)
    names = ", ".join(esc(ln.name) for ln in marked)
    note = {
        AttendanceStatus.PRESENT.value: _("✅ Present: {names}."),
        AttendanceStatus.EXCUSED.value: _("🟡 Excused: {names}."),
        AttendanceStatus.ABSENT.value: _("❌ Absent without reason: {names}."),
    }[status].format(names=names)
    await _open_sheet(ctx, meeting_id, page, note)


router.form(Form("attendance_marks", steps=[AskMarks("marks", lambda c, d: d.get("sheet") or "")],
                 on_complete=_typed_marks))


async def _done(ctx: Ctx, meeting_id: int) -> None:
    _m, lines = await ctx.svc(MeetingAttendance).sheet(ctx.require_actor(), meeting_id)
    count = {st: sum(1 for ln in lines if ln.status == st) for st in ICONS}
    await ctx.reply(_(
        "✔️ Attendance saved: present {present}/{expected}, excused {excused}, absent without reason {absent}, "
        "not marked {unmarked}. Open it again with /diemdanh."
    ).format(present=count["present"], expected=len(lines), excused=count["excused"], absent=count["absent"],
             unmarked=count[None]))


@router.button(AttendanceSheet)
async def attendance_sheet(ctx: Ctx, data: AttendanceSheet) -> None:
    await _open_sheet(ctx, data.meeting_id)


@router.button(AttendancePage)
async def attendance_page(ctx: Ctx, data: AttendancePage) -> None:
    await _open_sheet(ctx, data.meeting_id, data.page, edit=True)


@router.button(CycleAttendance)
async def cycle(ctx: Ctx, data: CycleAttendance) -> None:
    await ctx.svc(MeetingAttendance).cycle(ctx.require_actor(), data.meeting_id, data.person_id)
    await _open_sheet(ctx, data.meeting_id, data.page, edit=True)


@router.button(AllPresent)
async def all_present(ctx: Ctx, data: AllPresent) -> None:
    await ctx.svc(MeetingAttendance).mark_all_present(ctx.require_actor(), data.meeting_id)
    await _open_sheet(ctx, data.meeting_id, data.page, edit=True)


@router.button(AttendanceDone)
async def attendance_done(ctx: Ctx, data: AttendanceDone) -> None:
    if ctx.forms.active == "attendance_marks":
        await ctx.forms.cancel()
    await _done(ctx, data.meeting_id)


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
    """A sheet of the earlier version (present / absent only) still works."""
    await ctx.svc(MeetingAttendance).toggle(ctx.require_actor(), data.meeting_id, data.person_id)
    await _open_sheet(ctx, data.meeting_id, edit=True)


@router.button(AllYesAttended)
async def mark_all_yes(ctx: Ctx, data: AllYesAttended) -> None:
    await ctx.svc(MeetingAttendance).mark_all_yes(ctx.require_actor(), data.meeting_id)
    await _open_sheet(ctx, data.meeting_id, edit=True)


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
