"""/lienket: one person on Telegram and Zalo. A 6-digit code from one app, typed in the other."""

from __future__ import annotations

from typing import Any

from bot.features.linking.service import CHANNEL_NAMES, LinkService, normalize_link_code
from bot.i18n import _
from bot.kernel.context import Ctx
from bot.kernel.forms import AskChoice, Form
from bot.kernel.routing import Router, Unhandled

router = Router("linking")


async def _redeem(ctx: Ctx, text: str) -> None:
    result = await ctx.svc(LinkService).redeem(ctx.require_actor(), text)
    names = " + ".join(CHANNEL_NAMES.get(c, c) for c in result.channels)
    await ctx.reply(_("✅ Linked: your accounts ({channels}) are now one. Your branches, records and "
                      "settings are shared.").format(channels=names))
    if len(result.channels) > 1:
        await ctx.forms.start("link_channel")


@router.command("lienket", "link", help=lambda: _("link my Telegram and Zalo accounts"), takes="code",
                phrases=("lien ket tai khoan",))
async def link(ctx: Ctx) -> None:
    if ctx.inbound.args.strip():
        await _redeem(ctx, ctx.inbound.args)
        return
    code = await ctx.svc(LinkService).create_code(ctx.require_actor())
    await ctx.reply(_("🔗 Your link code: <b>{code}</b>\nIt is valid for 10 minutes. Open the Học Bác bot "
                      "in your other app (Telegram or Zalo) and send these 6 digits there.").format(
        code=code.code))


@router.fallback(priority=5)
async def code_typed(ctx: Ctx) -> None:
    """Six digits typed on their own are a link code (join codes are 8 letters and digits)."""
    if normalize_link_code(ctx.inbound.text or "") is None:
        raise Unhandled
    await _redeem(ctx, ctx.inbound.text)


def _channel_options(ctx: Ctx, _data: dict[str, Any]) -> list[tuple[str, str]]:
    return list(CHANNEL_NAMES.items())


async def _channel_chosen(ctx: Ctx, data: dict[str, Any]) -> None:
    await ctx.svc(LinkService).set_preferred(ctx.require_actor(), data["channel"])
    await ctx.reply(_("Saved: daily items and notices will come on {channel}. Replies always come where you "
                      "write. Send /kenh to change this.").format(channel=CHANNEL_NAMES.get(data["channel"])))


router.form(Form(
    "link_channel",
    steps=[AskChoice("channel", lambda _ctx, _data: _("Where should I send your daily items and notices?"),
                     choices=_channel_options)],
    on_complete=_channel_chosen,
))


@router.command("kenh", "channel", help=lambda: _("choose Telegram or Zalo for daily items"))
async def channel(ctx: Ctx) -> None:
    channels = await ctx.svc(LinkService).channels_of(ctx.require_actor().person_id)
    if len(channels) < 2:
        here = CHANNEL_NAMES.get(ctx.inbound.channel, "")
        await ctx.reply(_("You use only {channel}. To receive messages in another app too, send /lienket "
                          "here and type the code there.").format(channel=here))
        return
    await ctx.forms.start("link_channel")
