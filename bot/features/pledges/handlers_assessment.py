"""Pledges in chat: the mid-year self-check and the year-end self-assessment (/tudanhgia, /rutdanhgia).

The year-end card shows every section with "📨 Gửi" and "✏️ Sửa"; "Gửi" asks for a confirmation
(bot/kernel/confirm.py), so nothing is sent by one accidental tap. Each section is edited on its own, the
current text shown first; the edit is a form, so a restart in the middle of it loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.features.pledges.assessment import SelfAssessment
from bot.features.pledges.assessment_card import CardData, card_buttons, card_text, mismatch_text, points_line
from bot.features.pledges.callbacks import (
    MidyearCheck,
    PledgeReviewWindow,
    YearendEdit,
    YearendKeepLevel,
    YearendLevel,
    YearendPickLevel,
    YearendPoints,
    YearendSection,
    YearendSend,
    YearendShow,
    YearendWithdraw,
)
from bot.features.pledges.models import FIELD_MAX
from bot.features.pledges.settings import PledgeSettings
from bot.features.pledges.texts import with_example
from bot.features.pledges.yearend_form import SECTION_MAX, section, text_sections
from bot.i18n import _
from bot.kernel.callbacks import StaleButton
from bot.kernel.confirm import ask_confirm
from bot.kernel.context import Ctx
from bot.kernel.forms import AskDate, AskText, Form, Invalid
from bot.kernel.routing import Router
from bot.messages import Button, esc
from bot.services.levels import COMMON_POINTS_MAX, LEVELS, RESULTS_POINTS_MAX, band_text
from bot.services.when import show
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


# --- the year-end self-assessment ---------------------------------------------------------------------


async def _show(ctx: Ctx, d: CardData) -> None:
    await ctx.reply(card_text(d), card_buttons(d))


@router.command("tudanhgia", "selfassessment", help=lambda: _("my year-end self-assessment"),
                audience="member", phrases=("tu danh gia", "tu danh gia cuoi nam", "ban kiem diem"))
async def yearend_cmd(ctx: Ctx) -> None:
    await _show(ctx, await ctx.svc(SelfAssessment).open_yearend(ctx.require_actor()))


@router.command("rutdanhgia", "withdrawassessment", help=lambda: _("withdraw my sent self-assessment to revise it"),
                audience="member")
async def withdraw_cmd(ctx: Ctx) -> None:
    svc = ctx.svc(SelfAssessment)
    await _withdraw(ctx, await svc.current_review_id(ctx.require_actor()))


@router.button(YearendShow)
async def yearend_show(ctx: Ctx, data: YearendShow) -> None:
    await _show(ctx, await ctx.svc(SelfAssessment).card(ctx.require_actor(), data.review_id))


@router.button(YearendEdit)
async def yearend_edit(ctx: Ctx, data: YearendEdit) -> None:
    """What to edit: one section at a time, the points, or the level."""
    d = await ctx.svc(SelfAssessment).editable_card(ctx.require_actor(), data.review_id)
    rows = [[Button(f"✏️ {sec.title()}", YearendSection(d.review_id, sec.key).pack())]
            for sec in text_sections(d.form)]
    rows.append([Button(_("🔢 Points"), YearendPoints(d.review_id).pack())])
    rows.append([Button(_("🏷 Proposed level"), YearendPickLevel(d.review_id).pack())])
    rows.append([Button(_("⬅️ Back to the card"), YearendShow(d.review_id).pack())])
    await ctx.reply(_("✏️ Which part do you want to edit, comrade?"), rows)


@router.button(YearendSection)
async def yearend_section(ctx: Ctx, data: YearendSection) -> None:
    d = await ctx.svc(SelfAssessment).editable_card(ctx.require_actor(), data.review_id)
    sec = section(d.form, data.key)
    if sec is None:
        raise StaleButton(f"unknown section {data.key!r}")
    current = dict(d.sections).get(sec.key) or "—"
    await ctx.reply(_("<b>{title}</b>, as it is now:").format(title=esc(sec.title()))
                    + f"\n<blockquote>{esc(current)}</blockquote>")
    await ctx.forms.start("pledge_yearend_section", {"review_id": d.review_id, "key": sec.key})


async def _section_done(ctx: Ctx, data: dict[str, Any]) -> None:
    d = await ctx.svc(SelfAssessment).edit_section(ctx.require_actor(), int(data["review_id"]), str(data["key"]),
                                                   data["text"])
    await ctx.reply(_("✅ Saved."))
    await _show(ctx, d)


def _section_prompt(_ctx: Ctx, data: dict[str, Any]) -> str:
    sec = section(None, str(data.get("key")))
    title = sec.title() if sec else ""
    return _("Send the new text of “{title}” in one message (at most {n} characters).").format(
        title=esc(title), n=number(SECTION_MAX))


router.form(Form("pledge_yearend_section", steps=[AskText("text", _section_prompt, max_len=SECTION_MAX)],
                 on_complete=_section_done))


@dataclass
class AskPoints(AskText):
    """A whole number of points from 0 to ``top``; anything else is refused politely and asked again."""

    top: int = 0

    async def parse(self, ctx: Ctx, data: dict[str, Any]) -> Any:
        text = str(await super().parse(ctx, data)).strip()
        if not text.isdigit() or int(text) > self.top:
            raise Invalid(_("Please give a whole number from 0 to {n}.").format(n=self.top))
        return int(text)


@router.button(YearendPoints)
async def yearend_points(ctx: Ctx, data: YearendPoints) -> None:
    d = await ctx.svc(SelfAssessment).editable_card(ctx.require_actor(), data.review_id)
    await ctx.forms.start("pledge_yearend_points", {"review_id": d.review_id})


async def _points_done(ctx: Ctx, data: dict[str, Any]) -> None:
    d = await ctx.svc(SelfAssessment).set_points(ctx.require_actor(), int(data["review_id"]), int(data["common"]),
                                                 int(data["results"]))
    await ctx.reply(_("✅ Points saved: {points}.").format(points=points_line(d)))
    await _after_choice(ctx, d)


router.form(
    Form(
        "pledge_yearend_points",
        steps=[
            AskPoints("common", lambda _c, _d: _("Points for the common criteria (political quality, ethics, "
                                                 "lifestyle, self-criticism…), from 0 to {n}?").format(
                n=COMMON_POINTS_MAX), max_len=5, top=COMMON_POINTS_MAX),
            AskPoints("results", lambda _c, _d: _("Points for the results of your tasks, from 0 to {n}?").format(
                n=RESULTS_POINTS_MAX), max_len=5, top=RESULTS_POINTS_MAX),
        ],
        on_complete=_points_done,
    )
)


@router.button(YearendPickLevel)
async def yearend_pick_level(ctx: Ctx, data: YearendPickLevel) -> None:
    d = await ctx.svc(SelfAssessment).editable_card(ctx.require_actor(), data.review_id)
    rows = [[Button(f"{label()} ({band_text(code)})", YearendLevel(d.review_id, code).pack())]  # type: ignore[arg-type]
            for code, label in LEVELS.items()]
    await ctx.reply(_("🏷 Which level do you propose for yourself?"), rows)


@router.button(YearendLevel)
async def yearend_level(ctx: Ctx, data: YearendLevel) -> None:
    d = await ctx.svc(SelfAssessment).set_level(ctx.require_actor(), data.review_id, data.level)
    await _after_choice(ctx, d)


async def _after_choice(ctx: Ctx, d: CardData) -> None:
    """After points or a level: a band that does not hold the points is said, and the member keeps or fixes."""
    if d.band_level is not None and d.level is not None:
        await ctx.reply(
            "⚠️ " + mismatch_text(d) + "\n" + _("Keep the level you proposed, or fix it?"),
            [[Button(_("Keep “{level}”").format(level=LEVELS[d.level]()), YearendKeepLevel(d.review_id).pack())],
             [Button(_("🔢 Fix the points"), YearendPoints(d.review_id).pack())],
             [Button(_("🏷 Choose the level again"), YearendPickLevel(d.review_id).pack())]],
        )
        return
    await _show(ctx, d)


@router.button(YearendKeepLevel)
async def yearend_keep_level(ctx: Ctx, data: YearendKeepLevel) -> None:
    await _show(ctx, await ctx.svc(SelfAssessment).keep_level(ctx.require_actor(), data.review_id))


@router.button(YearendSend)
async def yearend_send(ctx: Ctx, data: YearendSend) -> None:
    """"Gửi" on the card: a confirmation first (one tap never sends it)."""
    d = await ctx.svc(SelfAssessment).editable_card(ctx.require_actor(), data.review_id)
    if d.level is None:
        await ctx.reply(_("Comrade, please propose your level before sending."))
        await yearend_pick_level(ctx, YearendPickLevel(d.review_id))
        return
    if d.band_level is not None and not d.band_confirmed:
        await _after_choice(ctx, d)
        return
    await ask_confirm(
        ctx, "pledge_yearend_send",
        _("📨 <b>Send your year-end self-assessment {year} to the secretary?</b>\nProposed level: <b>{level}</b>\n"
          "Points: {points}").format(year=d.year, level=LEVELS[d.level](), points=points_line(d))
        + "\n" + _("Comrade, after sending you can still withdraw it until the secretary acts on it."),
        {"review_id": d.review_id},
        yes=_("✅ Confirm and send"), edit=Button(_("✏️ Edit"), YearendEdit(d.review_id).pack()),
        back=YearendShow(d.review_id).pack())


@router.confirmed("pledge_yearend_send")
async def yearend_sent(ctx: Ctx, payload: dict[str, Any]) -> None:
    d = await ctx.svc(SelfAssessment).submit_yearend(ctx.require_actor(), int(payload["review_id"]))
    await ctx.reply(
        _("📨 Your year-end self-assessment ({level}) was sent to the secretary. You can withdraw it to revise "
          "it until the secretary acts on it (/rutdanhgia).").format(level=LEVELS[d.level or "done"]()),
        [[Button(_("↩️ Withdraw to revise"), YearendWithdraw(d.review_id).pack())]],
    )


async def _withdraw(ctx: Ctx, review_id: int) -> None:
    d = await ctx.svc(SelfAssessment).withdraw_yearend(ctx.require_actor(), review_id)
    await ctx.reply(_("↩️ Withdrawn, comrade. The secretary has been told. Your draft is kept: edit it if you "
                      "wish, then send it again."))
    await _show(ctx, d)


@router.button(YearendWithdraw)
async def yearend_withdraw(ctx: Ctx, data: YearendWithdraw) -> None:
    await _withdraw(ctx, data.review_id)


# --- the branch's review window (from the pledge settings screen) ------------------------------------------


@router.button(PledgeReviewWindow)
async def review_window_start(ctx: Ctx, data: PledgeReviewWindow) -> None:
    await ctx.svc(PledgeSettings).settings_for(ctx.require_actor(), data.branch_id)  # refuses non-managers first
    await ctx.forms.start("pledge_review_window", {"branch_id": data.branch_id})


async def _window_set(ctx: Ctx, data: dict[str, Any]) -> None:
    start, end = await ctx.svc(PledgeSettings).set_review_window(
        ctx.require_actor(), int(data["branch_id"]), date.fromisoformat(data["start"]),
        date.fromisoformat(data["end"]))
    await ctx.reply(_("✅ The year-end self-assessment window is now {start}–{end}. Members get their draft "
                      "only inside it.").format(start=show(start), end=show(end)))


router.form(
    Form(
        "pledge_review_window",
        steps=[
            AskDate("start", lambda _c, _d: _("From which day may members write their year-end self-assessment? "
                                              "Type the day and month, e.g. 15/11."),
                    max_back_days=None, max_ahead_days=None, quick=False),
            AskDate("end", lambda _c, _d: _("Until which day (inclusive)? e.g. 31/12."),
                    max_back_days=None, max_ahead_days=None, quick=False),
        ],
        on_complete=_window_set,
    )
)
