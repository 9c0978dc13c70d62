"""Meetings in chat: the secretary cancels or moves a scheduled meeting (/doihop), after a confirmation."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from bot.features.meetings.callbacks import CancelMeeting, ChangeFor, ChangeMeeting, MoveMeeting
from bot.features.meetings.changes import Change, MeetingChanges
from bot.features.meetings.handlers_schedule import AskMeetingDate, AskMeetingTime, _odd
from bot.features.meetings.scheduling import MeetingScheduling, kind_label
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.confirm import ask_confirm
from bot.kernel.context import Ctx
from bot.kernel.forms import AskChoice, Form, example_hint
from bot.kernel.routing import Router
from bot.messages import Button
from bot.services.when import parse_time, show, show_with_weekday

router = Router("meetings_changes")


@router.command("doihop", "change_meeting", help=lambda: _("cancel or move a scheduled meeting"),
                audience="manager")
async def change_meeting(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, ChangeFor)
    if branch_id is not None:
        await _upcoming(ctx, branch_id)


@router.button(ChangeFor)
async def change_for(ctx: Ctx, data: ChangeFor) -> None:
    await _upcoming(ctx, data.branch_id)


async def _upcoming(ctx: Ctx, branch_id: int) -> None:
    now = ctx.services.deps.clock.now()
    meetings = [m for m in await ctx.svc(MeetingScheduling).recent(ctx.require_actor(), branch_id, limit=10)
                if m.starts_at > now]
    if not meetings:
        await ctx.reply(_("No upcoming meeting to cancel or move. Schedule one with /hop."))
        return
    svc = ctx.svc(MeetingChanges)
    await ctx.reply(_("Which meeting do you want to cancel or move?"), [
        [Button(f"{svc.when(m.starts_at)} — {kind_label(m.kind)}", ChangeMeeting(m.id).pack())]
        for m in sorted(meetings, key=lambda m: m.starts_at)
    ])


@router.button(ChangeMeeting)
async def change_one(ctx: Ctx, data: ChangeMeeting) -> None:
    svc = ctx.svc(MeetingChanges)
    m = await svc.upcoming(ctx.require_actor(), data.meeting_id)
    await ctx.reply(
        _("{kind}, {when}. What do you want to do?").format(kind=kind_label(m.kind).capitalize(),
                                                            when=svc.when(m.starts_at)),
        [[Button(_("🔁 Move to another time"), MoveMeeting(m.id).pack())],
         [Button(_("❌ Cancel the meeting"), CancelMeeting(m.id).pack())]],
    )


@router.button(CancelMeeting)
async def cancel_meeting(ctx: Ctx, data: CancelMeeting) -> None:
    svc = ctx.svc(MeetingChanges)
    m = await svc.upcoming(ctx.require_actor(), data.meeting_id)
    told = _("Every member who was invited will be told once.") if m.notice_sent_at is not None else _(
        "The notice has not gone out yet, so nobody will be told.")
    await ask_confirm(
        ctx, "meeting_cancel",
        _("Cancel the {kind} of {when}?").format(kind=kind_label(m.kind), when=svc.when(m.starts_at)) + "\n" + told,
        {"meeting_id": m.id}, yes=_("❌ Cancel it and tell members"), cancel=_("↩️ Keep the meeting"),
    )


@router.confirmed("meeting_cancel")
async def cancel_confirmed(ctx: Ctx, payload: dict[str, Any]) -> None:
    change = await ctx.svc(MeetingChanges).cancel(ctx.require_actor(), int(payload["meeting_id"]))
    await ctx.reply(_("❌ The meeting is cancelled.") + " " + _told(change))


def _told(change: Change) -> str:
    if change.meeting.notice_sent_at is None:
        return _("The notice had not gone out, so nobody was told.")
    return _("{n} members will be told.").format(n=change.told)


@router.button(MoveMeeting)
async def move_meeting(ctx: Ctx, data: MoveMeeting) -> None:
    svc = ctx.svc(MeetingChanges)
    m = await svc.upcoming(ctx.require_actor(), data.meeting_id)  # checks the role before the form opens
    local = m.starts_at.astimezone(ctx.services.deps.clock.tz)
    await ctx.forms.start("meeting_move", {"meeting_id": m.id, "old": svc.when(m.starts_at),
                                           "default_time": local.strftime("%H:%M")})


def _move_date_prompt(ctx: Ctx, d: dict[str, Any]) -> str:
    return _("Now: {old}. To which date? E.g. {example} or “thứ 6 tuần này”.").format(
        old=d["old"], example=show(ctx.today + timedelta(days=1)))


async def _moved_form(ctx: Ctx, data: dict[str, Any]) -> None:
    svc = ctx.svc(MeetingChanges)
    m = await svc.upcoming(ctx.require_actor(), int(data["meeting_id"]))
    t = parse_time(data["time"])
    assert t is not None
    new_local = datetime.combine(date.fromisoformat(data["date"]), t)
    svc.check_new_time(m, new_local, data.get("sure") == "yes")  # a clear answer now, not after the confirmation
    told = _("Every member who was invited will be told once, with the old and the new time.") \
        if m.notice_sent_at is not None else _("The notice has not gone out yet, so nobody will be told.")
    await ask_confirm(
        ctx, "meeting_move",
        _("Move the {kind} from {old} to <b>{new}</b>?").format(
            kind=kind_label(m.kind), old=svc.when(m.starts_at),
            new=_("{time}, {day}").format(time=data["time"], day=show_with_weekday(new_local.date()))) + "\n" + told,
        {"meeting_id": m.id, "at": new_local.isoformat(), "sure": data.get("sure") == "yes"},
        yes=_("🔁 Move it and tell members"), cancel=_("↩️ Keep the old time"),
    )


@router.confirmed("meeting_move")
async def move_confirmed(ctx: Ctx, payload: dict[str, Any]) -> None:
    change = await ctx.svc(MeetingChanges).move(ctx.require_actor(), int(payload["meeting_id"]),
                                                datetime.fromisoformat(payload["at"]),
                                                confirmed_odd_hour=bool(payload.get("sure")))
    svc = ctx.svc(MeetingChanges)
    await ctx.reply(_("🔁 The meeting is moved to {when}.").format(when=svc.when(change.meeting.starts_at))
                    + " " + _told(change) + " " + _("Their answers (will attend or apologise) are kept."))


router.form(
    Form(
        "meeting_move",
        steps=[
            AskMeetingDate("date", _move_date_prompt,
                           placeholder=lambda c, d: example_hint(show(c.today + timedelta(days=1)))),
            AskMeetingTime("time", lambda c, d: _("📅 {day}. At what time? E.g. 19:30 or 19h.").format(
                day=show_with_weekday(date.fromisoformat(d["date"]))), skip_if=lambda d: bool(d.get("time")),
                placeholder=lambda c, d: example_hint(d.get("default_time") or "19:30")),
            AskChoice(
                "sure",
                lambda c, d: _("A meeting at {time}: are you sure?").format(time=d.get("time")),
                choices=lambda c, d: [("yes", _("Yes, I am sure")), ("no", _("No, change the time"))],
                skip_if=lambda d: not _odd(d),
                next=lambda d: "time" if d.get("sure") == "no" else None,
            ),
        ],
        on_complete=_moved_form,
    )
)
