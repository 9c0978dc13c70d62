"""Pledges in chat: the mid-year self-check and the year-end self-assessment."""

from __future__ import annotations

from typing import Any

from bot.features.pledges.assessment import REVIEW_MAX, SelfAssessment
from bot.features.pledges.callbacks import MidyearCheck, YearendEdit, YearendLevel, YearendShow, YearendWithdraw
from bot.features.pledges.models import FIELD_MAX
from bot.features.pledges.texts import LEVELS, with_example
from bot.features.pledges.ticks import yearend_buttons, yearend_message
from bot.i18n import _
from bot.kernel.callbacks import StaleButton
from bot.kernel.confirm import ask_confirm
from bot.kernel.context import Ctx
from bot.kernel.forms import AskText, Form
from bot.kernel.routing import Router
from bot.messages import Button, esc
from bot.services.errors import Conflict
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
    """A level chosen: the review card first (one tap on an old button must not send it)."""
    if data.level not in LEVELS:
        raise StaleButton(f"unknown level {data.level!r}")
    r = await ctx.svc(SelfAssessment).yearend_review(ctx.require_actor(), data.review_id)
    if r.status == "submitted":
        raise Conflict(_("Your self-assessment was already sent to the secretary."))
    await ask_confirm(
        ctx, "pledge_yearend_send",
        _("📄 <b>Send your year-end self-assessment to the secretary?</b>\nSelf-assessed level: <b>{level}</b>")
        .format(level=LEVELS[data.level]())
        + f"\n\n<blockquote>{esc(r.text)}</blockquote>\n"
        + _("Comrade, after sending you can still withdraw it until the secretary acts on it."),
        {"review_id": data.review_id, "level": data.level},
        yes=_("✅ Confirm and send"), edit=Button(_("✏️ Edit the draft"), YearendEdit(data.review_id).pack()),
        back=YearendShow(data.review_id).pack())


@router.button(YearendShow)
async def yearend_show(ctx: Ctx, data: YearendShow) -> None:
    """The draft and its levels again (after a cancelled review card)."""
    r = await ctx.svc(SelfAssessment).yearend_review(ctx.require_actor(), data.review_id)
    if r.status == "submitted":
        raise Conflict(_("Your self-assessment was already sent to the secretary."))
    await ctx.reply(yearend_message(ctx.today.year, r.text), yearend_buttons(r.id or 0))


@router.confirmed("pledge_yearend_send")
async def yearend_send(ctx: Ctx, payload: dict[str, Any]) -> None:
    r = await ctx.svc(SelfAssessment).submit_yearend(ctx.require_actor(), int(payload["review_id"]),
                                                     str(payload["level"]))
    await ctx.reply(
        _("📨 Your year-end self-assessment ({level}) was sent to the secretary.").format(
            level=LEVELS[r.level or "done"]()
        ),
        [[Button(_("↩️ Withdraw to revise"), YearendWithdraw(r.id or 0).pack())]],
    )


@router.button(YearendWithdraw)
async def yearend_withdraw(ctx: Ctx, data: YearendWithdraw) -> None:
    r = await ctx.svc(SelfAssessment).withdraw_yearend(ctx.require_actor(), data.review_id)
    await ctx.reply(_("↩️ Withdrawn, comrade. The secretary has been told. Your draft is kept: edit it if you "
                      "wish, then choose your level to send it again."))
    await yearend_show(ctx, YearendShow(r.id or 0))


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
