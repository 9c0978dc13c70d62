"""Meetings in chat: members answer the notice (RSVP, a reason for absence) and check in (/comat)."""

from __future__ import annotations

from typing import Any

from bot.features.meetings.attendance import MeetingAttendance
from bot.features.meetings.callbacks import Rsvp
from bot.features.meetings.notices import MeetingNotices
from bot.features.meetings.scheduling import kind_label
from bot.i18n import _
from bot.kernel.context import Ctx
from bot.kernel.forms import AskText, Form
from bot.kernel.routing import Router, Unhandled
from bot.services.permissions import is_member

router = Router("meetings_rsvp")
LINK_CODE_DIGITS = 6  # /lienket's codes (features are independent, so the length is restated here)


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


@router.command("comat", "checkin", help=lambda: _("check in at a meeting: /comat CODE"), audience="member",
                takes="code", phrases=("diem danh co mat",))
async def check_in(ctx: Ctx) -> None:
    code = ctx.inbound.args.strip()
    if not code:
        await ctx.reply(_("Please send the code the secretary reads out, e.g. /comat 123456"))
        return
    await _check_in(ctx, code)


@router.fallback(priority=4)  # before the six-digit link code of /lienket
async def bare_code(ctx: Ctx) -> None:
    """A number typed alone ("3887") by a member is the code the secretary read out: while a meeting is
    open for check-in it checks the member in (the same use case as /comat, with its attempt limits).
    With a meeting within a week the member is told when its code works; with none, six digits may still
    be a /lienket code, and any other number gets "no meeting is open"."""
    intent = ctx.intent
    actor = ctx.actor
    if intent is None or intent.kind != "code" or actor is None or not is_member(actor):
        raise Unhandled
    state = await ctx.svc(MeetingAttendance).checkin_state(actor)
    if state == "none" and len(intent.args) == LINK_CODE_DIGITS:
        raise Unhandled
    await _check_in(ctx, intent.args)


async def _check_in(ctx: Ctx, code: str) -> None:
    m = await ctx.svc(MeetingAttendance).check_in(ctx.require_actor(), code)
    local = m.starts_at.astimezone(ctx.services.deps.clock.tz)
    await ctx.reply(
        _("✅ You are checked in at the {kind} of {date}.").format(
            kind=kind_label(m.kind), date=local.strftime("%d/%m/%Y")
        )
    )
