"""Pledges in chat for the secretary: approve or return, /dangky_tinhhinh (status, nudge, exports) and
/dangky_caidat (deadline, check-in frequency).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.features.pledges.callbacks import (
    DecidePledge,
    PendingPledgeAct,
    PendingPledges,
    PledgeDeadline,
    PledgeExportFor,
    PledgeFrequency,
    PledgeHistoryView,
    PledgeNudge,
    PledgeReviewWindow,
    PledgeSettingsFor,
    PledgeStatusFor,
    YearendExportFor,
)
from bot.features.pledges.exports import XLSX_MIME, PledgeExport
from bot.features.pledges.history import PledgeHistory
from bot.features.pledges.models import FIELD_MAX
from bot.features.pledges.reminders import PledgeReminders
from bot.features.pledges.review import PledgeReviewing, StatusView
from bot.features.pledges.settings import PledgeSettings
from bot.features.pledges.texts import period_label, with_example
from bot.features.pledges.viewing import PledgeViewing
from bot.i18n import _
from bot.kernel.branches import pick_branch
from bot.kernel.context import Ctx
from bot.kernel.forms import AskDate, AskText, Form
from bot.kernel.routing import Router
from bot.messages import Button, MediaRef, esc
from bot.services.when import show
from bot.text import branch_title

router = Router("pledges_secretary")


@router.button(DecidePledge)
async def decide(ctx: Ctx, data: DecidePledge) -> None:
    actor = ctx.require_actor()
    svc = ctx.svc(PledgeReviewing)
    pledge_id, version = data.pledge_id, data.version
    if data.verdict == "ok":
        name = await svc.approve(actor, pledge_id, version)
        text = _("✅ Pledge of {name} approved.").format(name=esc(name))
        if ctx.channel.caps.edit and ctx.inbound.message_id:
            await ctx.edit(ctx.inbound.message_id, text)
        else:
            await ctx.reply(text)
        return
    name = await svc.check_decidable(actor, pledge_id, version)
    ctx.keep_question = True  # settled only when the comment is given; the notice stays until then
    await ctx.forms.start("pledge_return", {"pledge_id": pledge_id, "version": version, "name": name})


async def _returned(ctx: Ctx, data: dict[str, Any]) -> None:
    name = await ctx.svc(PledgeReviewing).return_pledge(
        ctx.require_actor(), int(data["pledge_id"]), int(data["version"]), data["comment"]
    )
    await ctx.reply(_("↩️ Pledge of {name} returned with your comment.").format(name=esc(name)))


router.form(
    Form(
        "pledge_return",
        steps=[
            AskText(
                "comment",
                lambda _c, d: with_example(
                    _("What should {name} change? Your comment goes back with the pledge.").format(
                        name=esc(d.get("name", ""))
                    ),
                    _("deed 2 needs a clear criterion"),
                ),
                max_len=FIELD_MAX,
            ),
        ],
        on_complete=_returned,
    )
)


def _status_text(v: StatusView) -> str:
    def names(xs: list[str]) -> str:
        return ", ".join(esc(x) for x in xs) if xs else "—"

    lines = [_("📋 <b>Pledges {year} — {branch}</b>").format(year=v.year, branch=esc(branch_title(v.branch_name)))]
    if v.deadline:
        lines.append(_("Deadline: {date}").format(date=v.deadline.strftime("%d/%m/%Y")))
    lines.append(_("Registered: {n}/{total}").format(n=len(v.approved) + len(v.submitted), total=v.members))
    lines.append(_("✅ Approved ({n}): {names}").format(n=len(v.approved), names=names(v.approved)))
    lines.append(
        _("📨 Waiting for approval ({n}): {names}").format(n=len(v.submitted), names=names(v.submitted))
    )
    lines.append(_("↩️ Returned ({n}): {names}").format(n=len(v.returned), names=names(v.returned)))
    lines.append(
        _("⭕ Not registered ({n}): {names}").format(n=len(v.not_pledged), names=names(v.not_pledged))
    )
    if v.last_round:
        rate = round(100 * v.round_answered / v.round_sent) if v.round_sent else 0
        lines.append(
            _("🔔 Last check-in ({period}): {answered}/{sent} answered ({rate}%)").format(
                period=period_label(v.last_round), answered=v.round_answered, sent=v.round_sent, rate=rate
            )
        )
    else:
        lines.append(_("🔔 No check-in round yet."))
    return "\n".join(lines)


async def _show_status(ctx: Ctx, branch_id: int) -> None:
    view = await ctx.svc(PledgeReviewing).status(ctx.require_actor(), branch_id)
    await ctx.reply(
        _status_text(view),
        [
            [Button(_("📨 Pledges waiting for approval"), PendingPledges(branch_id, 0).pack())],
            [Button(_("🔔 Remind those not registered"), PledgeNudge(branch_id).pack())],
            [Button(_("📊 Export to Excel"), PledgeExportFor(branch_id).pack())],
            [Button(_("📄 Export year-end self-assessments"), YearendExportFor(branch_id).pack())],
            [Button(_("⚙️ Pledge settings"), PledgeSettingsFor(branch_id).pack())],
        ],
    )


@router.command(
    "dangky_tinhhinh", "pledgestatus", help=lambda: _("who has registered a pledge"), audience="manager"
)
async def status(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, PledgeStatusFor)
    if branch_id is not None:
        await _show_status(ctx, branch_id)


@router.button(PledgeStatusFor)
async def status_for(ctx: Ctx, data: PledgeStatusFor) -> None:
    await _show_status(ctx, data.branch_id)


@router.button(PledgeNudge)
async def nudge(ctx: Ctx, data: PledgeNudge) -> None:
    queued, skipped = await ctx.svc(PledgeReminders).nudge_unpledged(ctx.require_actor(), data.branch_id)
    text = _("🔔 Reminders queued: {n}.").format(n=queued)
    if skipped:
        text += "\n" + _("{n} member(s) were already reminded in the last 7 days, so not again now.").format(
            n=skipped
        )
    await ctx.reply(text)


async def _send_export(ctx: Ctx, key: str, name: str, caption: str) -> None:
    await ctx.reply(caption, media=MediaRef(kind="document", media_key=key, file_name=name, mime=XLSX_MIME))


@router.button(PledgeExportFor)
async def export_pledges(ctx: Ctx, data: PledgeExportFor) -> None:
    key, name = await ctx.svc(PledgeExport).pledges_xlsx(ctx.require_actor(), data.branch_id)
    await _send_export(ctx, key, name, _("📊 Pledges, one row per deed."))


@router.button(YearendExportFor)
async def export_yearend(ctx: Ctx, data: YearendExportFor) -> None:
    key, name = await ctx.svc(PledgeExport).yearend_xlsx(ctx.require_actor(), data.branch_id)
    await _send_export(ctx, key, name, _("📄 Year-end self-assessments."))


FREQUENCIES = {"monthly": lambda: _("monthly"), "quarterly": lambda: _("quarterly")}


async def _show_settings(ctx: Ctx, branch_id: int) -> None:
    name, st = await ctx.svc(PledgeSettings).settings_for(ctx.require_actor(), branch_id)
    deadline = st.deadline.strftime("%d/%m/%Y") if st.deadline else _("not set")
    await ctx.reply(
        _(
            "⚙️ <b>Pledge settings — {branch}</b>\nDeadline: {deadline}\nCheck-ins: {freq}\n"
            "Mid-year self-check: month {mid}\nYear-end self-assessment window: {start}–{end}"
        ).format(
            branch=esc(branch_title(name)),
            deadline=deadline,
            freq=FREQUENCIES.get(st.checkin_frequency, lambda: "?")(),
            mid=st.midyear_month,
            start=f"{st.yearend_start_day:02d}/{st.yearend_start_month:02d}",
            end=f"{st.yearend_end_day:02d}/{st.yearend_end_month:02d}",
        ),
        [
            [Button(_("📅 Set the deadline"), PledgeDeadline(branch_id).pack())],
            [Button(_("🗓 Self-assessment window"), PledgeReviewWindow(branch_id).pack())],
            [
                Button(_("🗓 Monthly check-ins"), PledgeFrequency("monthly", branch_id).pack()),
                Button(_("🗓 Quarterly check-ins"), PledgeFrequency("quarterly", branch_id).pack()),
            ],
        ],
    )


@router.command(
    "dangky_caidat",
    "pledgesettings",
    help=lambda: _("pledge deadline and check-in frequency"),
    audience="manager",
)
async def settings_cmd(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, PledgeSettingsFor)
    if branch_id is not None:
        await _show_settings(ctx, branch_id)


@router.button(PledgeSettingsFor)
async def settings_for(ctx: Ctx, data: PledgeSettingsFor) -> None:
    await _show_settings(ctx, data.branch_id)


@router.button(PledgeFrequency)
async def set_frequency(ctx: Ctx, data: PledgeFrequency) -> None:
    await ctx.svc(PledgeSettings).update_settings(ctx.require_actor(), data.branch_id, frequency=data.frequency)
    await _show_settings(ctx, data.branch_id)


@router.button(PledgeDeadline)
async def set_deadline(ctx: Ctx, data: PledgeDeadline) -> None:
    branch_id = data.branch_id
    await ctx.svc(PledgeSettings).settings_for(ctx.require_actor(), branch_id)  # refuses non-managers first
    await ctx.forms.start("pledge_deadline", {"branch_id": branch_id})


async def _deadline_set(ctx: Ctx, data: dict[str, Any]) -> None:
    await ctx.svc(PledgeSettings).update_settings(
        ctx.require_actor(), int(data["branch_id"]), deadline=date.fromisoformat(data["deadline"])
    )
    await _show_settings(ctx, int(data["branch_id"]))


router.form(
    Form(
        "pledge_deadline",
        steps=[
            AskDate(
                "deadline",
                lambda c, _d: _("Pledge deadline for the branch? Type a date, e.g. {example}.").format(
                    example=show(c.today + timedelta(days=30))),
                max_back_days=0,
                max_ahead_days=400,
                quick=False,
            ),
        ],
        on_complete=_deadline_set,
    )
)


# --- the pledges waiting for approval, paged; approve from the list or open one ----------------------------

PENDING_PAGE = 5


async def _show_pending(ctx: Ctx, branch_id: int, page: int) -> None:
    branch_name, rows = await ctx.svc(PledgeReviewing).pending(ctx.require_actor(), branch_id)
    if not rows:
        await ctx.reply(_("No pledges are waiting for your approval. 🎉"))
        return
    pages = (len(rows) + PENDING_PAGE - 1) // PENDING_PAGE
    page = max(0, min(page, pages - 1))
    chunk = rows[page * PENDING_PAGE:(page + 1) * PENDING_PAGE]
    lines = [_("📨 <b>Pledges waiting for approval — {branch}</b>: {n}").format(
        branch=esc(branch_title(branch_name)), n=len(rows))]
    if pages > 1:
        lines.append(_("Page {page}/{pages}").format(page=page + 1, pages=pages))
    tz = ctx.services.deps.clock.tz
    for i, r in enumerate(chunk, page * PENDING_PAGE + 1):
        sent = r.submitted_at.astimezone(tz).strftime("%d/%m/%Y") if r.submitted_at else "—"
        kind = _("amendment") if r.amendment else _("new pledge")
        lines.append(f"{i}. {esc(r.name)} — {kind}, " + _("sent {date}").format(date=sent))
    lines.append("")
    lines.append(_("Approve from the list, or open a pledge to read it in full and return it with a comment."))
    buttons = [
        [
            Button(_("✅ Approve: {name}").format(name=r.name[:30]),
                   PendingPledgeAct("ok", r.pledge_id, r.version, branch_id, page).pack()),
            Button(_("📄 Open: {name}").format(name=r.name[:30]),
                   PendingPledgeAct("open", r.pledge_id, r.version, branch_id, page).pack()),
        ]
        for r in chunk
    ]
    nav = []
    if page > 0:
        nav.append(Button(_("◀ Previous page"), PendingPledges(branch_id, page - 1).pack()))
    if page < pages - 1:
        nav.append(Button(_("Next page ▶"), PendingPledges(branch_id, page + 1).pack()))
    if nav:
        buttons.append(nav)
    await ctx.reply("\n".join(lines), buttons)


@router.command(
    "dangky_cho", "pledgespending", help=lambda: _("pledges waiting for approval"), audience="manager"
)
async def pending_cmd(ctx: Ctx) -> None:
    branch_id = await pick_branch(ctx, PendingPledges)
    if branch_id is not None:
        await _show_pending(ctx, branch_id, 0)


@router.button(PendingPledges)
async def pending_page(ctx: Ctx, data: PendingPledges) -> None:
    await _show_pending(ctx, data.branch_id, data.page)


@router.button(PendingPledgeAct)
async def pending_act(ctx: Ctx, data: PendingPledgeAct) -> None:
    actor = ctx.require_actor()
    if data.action == "ok":
        name = await ctx.svc(PledgeReviewing).approve(actor, data.pledge_id, data.version)
        await ctx.reply(_("✅ Pledge of {name} approved.").format(name=esc(name)))
        await _show_pending(ctx, data.branch_id, data.page)
        return
    await ctx.svc(PledgeReviewing).check_decidable(actor, data.pledge_id, data.version)
    card = await ctx.svc(PledgeViewing).card(actor, data.pledge_id)
    buttons = [
        [
            Button(_("✅ Approve pledge"), DecidePledge("ok", data.pledge_id, data.version).pack()),
            Button(_("↩️ Return with a comment"), DecidePledge("back", data.pledge_id, data.version).pack()),
        ],
        [Button(_("🗂 History"), PledgeHistoryView(data.pledge_id).pack())],
    ]
    await ctx.reply(card, buttons)
    _text, amendments = await ctx.svc(PledgeHistory).history(actor, data.pledge_id)
    if data.version in amendments:
        await ctx.reply(await ctx.svc(PledgeHistory).changes(actor, data.pledge_id, data.version))
