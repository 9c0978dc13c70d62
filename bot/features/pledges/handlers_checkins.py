"""Pledges in chat: the member answers a check-in (a mark per deed, a note)."""

from __future__ import annotations

from typing import Any

from bot.features.pledges.callbacks import CheckinAnswer, CheckinNote
from bot.features.pledges.checkins import PledgeCheckins
from bot.features.pledges.models import FIELD_MAX
from bot.features.pledges.texts import render_checkin, with_example
from bot.features.pledges.ticks import checkin_buttons
from bot.i18n import _
from bot.kernel.context import Ctx
from bot.kernel.forms import AskText, Form
from bot.kernel.routing import Router

router = Router("pledges_checkins")


@router.button(CheckinAnswer)
async def checkin_answer(ctx: Ctx, data: CheckinAnswer) -> None:
    view = await ctx.svc(PledgeCheckins).answer_checkin(
        ctx.require_actor(), data.checkin_id, data.item_id, data.mark
    )
    text = render_checkin(view.period, view.items, view.answers, view.note)
    buttons = checkin_buttons(view.checkin_id, view.items)
    if ctx.channel.caps.edit and ctx.inbound.message_id:
        await ctx.edit(ctx.inbound.message_id, text, buttons)
    else:
        await ctx.reply(text, buttons)


@router.button(CheckinNote)
async def checkin_note(ctx: Ctx, data: CheckinNote) -> None:
    checkin_id = data.checkin_id
    await ctx.svc(PledgeCheckins).checkin(ctx.require_actor(), checkin_id)  # refuses someone else's
    await ctx.forms.start("pledge_checkin_note", {"checkin_id": checkin_id})


async def _noted(ctx: Ctx, data: dict[str, Any]) -> None:
    view = await ctx.svc(PledgeCheckins).note_checkin(
        ctx.require_actor(), int(data["checkin_id"]), data["note"]
    )
    await ctx.reply(
        render_checkin(view.period, view.items, view.answers, view.note),
        checkin_buttons(view.checkin_id, view.items),
    )


router.form(
    Form(
        "pledge_checkin_note",
        steps=[
            AskText(
                "note",
                lambda _c, _d: with_example(
                    _("Your note for this check-in:"), _("deed 1 is waiting for the bank's answer")
                ),
                max_len=FIELD_MAX,
            ),
        ],
        on_complete=_noted,
    )
)
