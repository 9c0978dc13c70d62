"""Conversation helpers shared by the managers' commands of several features: which branch to act on."""

from __future__ import annotations

from collections.abc import Callable

from bot.i18n import _
from bot.kernel.callbacks import CallbackData
from bot.kernel.context import Ctx
from bot.messages import Button
from bot.services.permissions import managed_seats


async def pick_branch(ctx: Ctx, kind: Callable[[int], CallbackData]) -> int | None:
    """The branch a manager acts on: the only one, or ask with buttons of ``kind(branch_id)``."""
    managed = managed_seats(ctx.require_actor())
    if len(managed) == 1:
        return managed[0].branch_id
    if not managed:
        await ctx.reply(_("This command is only for branch secretaries."))
        return None
    await ctx.reply(_("Which branch?"), [[Button(s.branch_name, kind(s.branch_id).pack())] for s in managed])
    return None
