"""Pledges in chat: the mid-year self-check and the year-end self-assessment."""

from __future__ import annotations

from typing import Any

from bot.features.pledges.assessment import REVIEW_MAX, SelfAssessment
from bot.features.pledges.callbacks import MidyearCheck, YearendEdit, YearendLevel
from bot.features.pledges.models import FIELD_MAX
from bot.features.pledges.texts import LEVELS, with_example
from bot.features.pledges.ticks import yearend_buttons, yearend_message
from bot.i18n import _
from bot.kernel.context import Ctx
from bot.kernel.forms import AskText, Form
from bot.kernel.routing import Router
from bot.messages import esc
from bot.text import number

router = Router("pledges_assessment")


@router.button(MidyearCheck)
async def midyear(ctx: Ctx, data: MidyearCheck) -> None:
    pledge_id = data.pledge_id
    await ctx.svc(SelfAssessment).require_own_pledge(ctx.require_actor(), pledge_id)
    await ctx.forms.start("pledge_midyear", {"pledge_id": pledge_id})


async def _midyear_done(ctx: Ctx, data: dict[str, Any]) -> None:
    await ctx.svc(SelfAssessment).save_midyear(ctx.require_actor(), int(data["pledge_id"]), data["text"])
    await ctx.reply(_("🌗 Thank you! Your mid-year self-check is saved; it will help your year-end review."))


router.form(
    Form(
        "pledge_midyear",
        steps=[
            AskText(
                "text",
                lambda _c, _d: with_example(
                    _("Half a year: how do you assess yourself?"),
                    _("deed 1 is done; deed 2 is behind, I will catch up in autumn"),
                ),
                max_len=FIELD_MAX,
            ),
        ],
        on_complete=_midyear_done,
    )
)


@router.button(YearendLevel)
async def yearend_level(ctx: Ctx, data: YearendLevel) -> None:
    r = await ctx.svc(SelfAssessment).submit_yearend(ctx.require_actor(), data.review_id, data.level)
    await ctx.reply(
        _("📨 Your year-end self-assessment ({level}) was sent to the secretary.").format(
            level=LEVELS[r.level or "done"]()
        )
    )


@router.button(YearendEdit)
async def yearend(ctx: Ctx, data: YearendEdit) -> None:
    review_id = data.review_id
    r = await ctx.svc(SelfAssessment).yearend_review(ctx.require_actor(), review_id)
    if r.status == "submitted":
        await ctx.reply(_("Your self-assessment was already sent to the secretary."))
        return
    await ctx.reply(f"<blockquote>{esc(r.text)}</blockquote>")
    await ctx.forms.start("pledge_yearend_edit", {"review_id": review_id})


async def _yearend_edited(ctx: Ctx, data: dict[str, Any]) -> None:
    r = await ctx.svc(SelfAssessment).edit_yearend(ctx.require_actor(), int(data["review_id"]), data["text"])
    year = ctx.today.year
    await ctx.reply(yearend_message(year, r.text), yearend_buttons(r.id or 0))


router.form(
    Form(
        "pledge_yearend_edit",
        steps=[
            AskText(
                "text",
                lambda _c, _d: _(
                    "Above is your current draft. Send the whole paragraph as you want it "
                    "(at most {n} characters)."
                ).format(n=number(REVIEW_MAX)),
                max_len=REVIEW_MAX,
            ),
        ],
        on_complete=_yearend_edited,
    )
)
