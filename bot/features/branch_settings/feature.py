"""A branch's calendar (meeting day, quiet hours, reminder time) and the committee's lagging thresholds.

The calendar itself is read by several features, so it lives in the engine (``bot.services.calendar``);
this feature declares its tables and the quiet-hours provider."""

from bot.kernel.feature import Feature
from bot.services.calendar import quiet_hours
from storage.models.calendar import BranchSettings, OrgThresholds

FEATURE = Feature(
    name="branch_settings",
    models=(BranchSettings, OrgThresholds),
    providers={"quiet_hours": quiet_hours},
    catalog="secretary",
)
