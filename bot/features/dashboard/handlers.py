"""/bangdieukhien: a one-time link to the web dashboard (and, on Telegram over https, a Mini App button)."""

from __future__ import annotations

from bot.features.dashboard.signin import DashboardAuth
from bot.i18n import _
from bot.kernel.context import Ctx
from bot.kernel.routing import Router
from bot.messages import Button
from bot.services.permissions import dashboard_home, help_role

router = Router("dashboard")


@router.command("bangdieukhien", "dashboard", help=lambda: _("open the web dashboard (a sign-in link)"),
                phrases=("bang dieu khien", "trang quan ly"))
async def dashboard(ctx: Ctx) -> None:
    actor = ctx.require_actor()
    if dashboard_home(actor) is None:
        await ctx.reply(_("The dashboard shows a branch's work. Join your branch first (send the join code "
                          "your secretary gave you); then send /bangdieukhien again."))
        return
    auth = ctx.svc(DashboardAuth)
    if not auth.base_url():
        if help_role(actor) in ("secretary", "committee"):
            await ctx.reply(_("The web dashboard is not set up on this server yet. Please ask the administrator "
                              "of the bot to set DASHBOARD_URL (the public https address of the server) and "
                              "restart it."))
        else:
            await ctx.reply(_("The web dashboard is not available yet. Please ask your branch secretary."))
        return
    url = await auth.issue_link(actor)
    buttons = [[Button(_("🔐 Open the dashboard"), url=url)]]
    # Telegram opens https pages inside the app too (a Mini App, signed in with the Telegram account).
    if ctx.inbound.channel == "telegram" and url.startswith("https://"):
        buttons.append([Button(_("📱 Open inside Telegram"), url=url.split("/signin/")[0] + "/", web_app=True)])
    await ctx.reply(_("🔐 Your sign-in link to the dashboard is below. It works <b>once</b>, for <b>10 "
                      "minutes</b>, and only for you: do not forward it. The session lasts 8 hours; sign out "
                      "on a shared computer."), buttons)
