"""A branch's calendar (meeting day, quiet hours, reminder time) and the committee's lagging thresholds."""

from bot.features.branch_settings import models
from bot.features.branch_settings.service import _quiet_hours
from bot.kernel.feature import Feature

FEATURE = Feature(
    name="branch_settings",
    models=(models.BranchSettings, models.OrgThresholds),
    providers={"quiet_hours": _quiet_hours},
    catalog="secretary",
)
