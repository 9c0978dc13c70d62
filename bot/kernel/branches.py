"""Conversation helpers shared by the managers' commands of several features: which branch to act on."""

from __future__ import annotations

from bot.i18n import _
from bot.kernel.context import Ctx
from bot.messages import Button
from bot.services.errors import InvalidInput
from bot.services.permissions import managed_seats


async def pick_branch(ctx: Ctx, prefix: str) -> int | None:
    """The branch a manager acts on: the only one, or ask with buttons (data ``prefix:<branch_id>``)."""
    managed = managed_seats(ctx.require_actor())
    if len(managed) == 1:
        return managed[0].branch_id
    if not managed:
        await ctx.reply(_("This command is only for branch secretaries."))
        return None
    await ctx.reply(_("Which branch?"), [[Button(s.branch_name, f"{prefix}:{s.branch_id}")] for s in managed])
    return None


def branch_arg(ctx: Ctx) -> int:
    arg = (ctx.inbound.choice or "").rsplit(":", 1)[-1]
    if not arg.isdigit():
        raise InvalidInput(_("This button is no longer active."))
    return int(arg)
