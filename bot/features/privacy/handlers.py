"""/xoadulieu: a person deletes their data (the conversation side of erasure)."""

from __future__ import annotations

from bot.features.privacy.callbacks import EraseData
from bot.features.privacy.service import PrivacyService
from bot.i18n import _
from bot.kernel.context import Ctx
from bot.kernel.routing import Router
from bot.messages import Button

router = Router("privacy")


@router.command("xoadulieu", "deletedata", help=lambda: _("delete my data"), phrases=("xoa du lieu cua toi",))
async def erase(ctx: Ctx) -> None:
    await ctx.reply(
        _("⚠️ <b>Delete your data?</b>\nYour name, accounts and personal records will be deleted or made "
          "anonymous, you will leave your branches, and your secretary will be told. This cannot be undone."),
        [[Button(_("🗑 Yes, delete my data"), EraseData(True).pack())],
         [Button(_("No, keep it"), EraseData(False).pack())]],
    )


@router.button(EraseData)
async def erase_confirmed(ctx: Ctx, data: EraseData) -> None:
    actor = ctx.require_actor()
    if data.confirmed:
        await ctx.svc(PrivacyService).erase(actor)
        ctx.state.clear()
        ctx.state_dirty = True
        await ctx.reply(_("Your data has been deleted. Thank you for taking part. Send /start to begin again."),
                        remove_menu=True)
    else:
        await ctx.reply(_("All right, nothing was deleted."))
