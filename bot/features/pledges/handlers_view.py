"""Pledges in chat: /camket — the member's pledge with its progress, and earlier pledges."""

from __future__ import annotations

from bot.features.pledges.callbacks import PledgeChanges, PledgeHistoryView, ViewPledge
from bot.features.pledges.drafting import PledgeDrafting
from bot.features.pledges.history import PledgeHistory
from bot.features.pledges.viewing import PledgeViewing
from bot.i18n import _
from bot.kernel.context import Ctx
from bot.kernel.routing import Router
from bot.messages import Button
from bot.services.permissions import is_member

router = Router("pledges_view")


@router.command("camket", "mypledge", help=lambda: _("my pledge and its progress"),
                phrases=("cam ket cua toi", "dang ky cua toi"))
async def my_pledge(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    svc = ctx.svc(PledgeViewing)
    history = await svc.my_pledges(actor)
    shown: int | None = None
    if is_member(actor):
        mine = await ctx.svc(PledgeDrafting).mine(actor)
        if mine.pledge is not None and mine.pledge.version > 0:
            shown = mine.pledge.id
            await ctx.reply(await svc.card(actor), _history_button(shown))
        else:
            await ctx.reply(
                _("You have not sent a pledge for {year} yet. Send /dangky to register.").format(
                    year=mine.year
                )
            )
    elif history:
        shown = history[0][0]
        await ctx.reply(await svc.card(actor, shown), _history_button(shown))
    else:
        await ctx.reply(_("You have no pledges yet."))
        return
    past = [(pid, year, branch) for pid, year, branch in history if pid != shown]
    if past:
        await ctx.reply(
            _("Your earlier pledges:"),
            [[Button(f"📁 {year} — {branch}", ViewPledge(pid).pack())] for pid, year, branch in past[:10]],
        )


@router.button(ViewPledge)
async def view_pledge(ctx: Ctx, data: ViewPledge) -> None:
    await ctx.reply(await ctx.svc(PledgeViewing).card(ctx.require_actor(), data.pledge_id),
                    _history_button(data.pledge_id))


def _history_button(pledge_id: int | None) -> list[list[Button]]:
    return [[Button(_("🗂 History"), PledgeHistoryView(pledge_id).pack())]] if pledge_id else []


@router.button(PledgeHistoryView)
async def view_history(ctx: Ctx, data: PledgeHistoryView) -> None:
    """Every version sent with its date and decision, the return comments; amendments can show their
    changes. For the member and the branch's managers (the service checks)."""
    text, amendments = await ctx.svc(PledgeHistory).history(ctx.require_actor(), data.pledge_id)
    buttons = [[Button(_("🔀 Changes in version {n}").format(n=v), PledgeChanges(data.pledge_id, v).pack())]
               for v in amendments[-5:]]
    await ctx.reply(text, buttons)


@router.button(PledgeChanges)
async def view_changes(ctx: Ctx, data: PledgeChanges) -> None:
    """What an amendment changes against the approved version, deed by deed."""
    await ctx.reply(await ctx.svc(PledgeHistory).changes(ctx.require_actor(), data.pledge_id, data.version))
