"""/bangdieukhien: the web dashboard. A one-time sign-in link in chat (a Mini App button on Telegram) opens
server-rendered pages of the branch, the đảng bộ or the member's own year, by the same roles as in chat."""

from bot.features.dashboard import models
from bot.features.dashboard.erasure import _erase_dashboard
from bot.features.dashboard.handlers import router
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import PersonalData

FEATURE = Feature(
    name="dashboard", routers=(router,),
    models=(models.DashboardLink, models.DashboardSession, models.DashboardAttempt),
    erasers=(_erase_dashboard,),
    personal_data=PersonalData(erased=(models.DashboardLink, models.DashboardSession)),
    # Short /help for the committee and members; the secretary's short /help is full (8), hers is under "Xem thêm".
    help=(HelpLine("bangdieukhien", "reports", ("committee", "member")),),
    catalog="dashboard",
)
