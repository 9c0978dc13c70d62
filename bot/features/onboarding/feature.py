"""Joining a branch, approval, /help, /toi, /doiten, /roi, language and member lists (the conversation side of
membership; the membership rules are the engine's OrgService), and the reminder of waiting join requests."""

from bot.features.onboarding.callbacks import join_buttons
from bot.features.onboarding.dashboard import _join_requests
from bot.features.onboarding.handlers import router
from bot.features.onboarding.ticks import join_request_reminders
from bot.i18n import _
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import Pending, Tick

FEATURE = Feature(
    name="onboarding",
    routers=(router,),
    ticks=(Tick("join_request_reminders", join_request_reminders),),
    providers={"join_buttons": join_buttons},
    help=(
        HelpLine("start", "start", main=("guest",)),
        HelpLine("thamgia", "start", main=("guest",)),
        HelpLine("ngonngu", "start", main=("guest",)),
        HelpLine("help", "start"),
        HelpLine("mathamgia", "branch", main=("secretary",)),
        HelpLine("choduyet", "branch", main=("secretary",)),
        HelpLine("thanhvien", "branch", main=("secretary",)),
        HelpLine("toi", "account"),
        HelpLine("doiten", "account"),
        HelpLine("roi", "account"),
    ),
    catalog="core",
    # dash-branch: the dashboard's branch page
    pending=(Pending("join_requests", lambda: _("Join requests waiting"), _join_requests),),
)
