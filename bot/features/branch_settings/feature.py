"""A branch's calendar (meeting day, quiet hours, reminder time) and the committee's lagging thresholds.

Several features read the calendar, so reading it is the engine's (``bot.services.calendar``); this feature
owns its tables, the conversation that changes it and the quiet-hours provider."""

from bot.features.branch_settings.handlers import router
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.calendar import quiet_hours, quiet_hours_many
from storage.models.calendar import BranchSettings, OrgThresholds

FEATURE = Feature(
    name="branch_settings",
    routers=(router,),
    models=(BranchSettings, OrgThresholds),
    providers={"quiet_hours": quiet_hours, "quiet_hours_many": quiet_hours_many},
    help=(
        HelpLine("caidat_chibo", "branch"),
        HelpLine("nguong", "committee", main=("committee",)),
    ),
    catalog="secretary",
)
