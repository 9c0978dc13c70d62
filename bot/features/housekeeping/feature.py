"""The engine's own ticks: expire stale outbox rows, remind managers of waiting join requests."""

from bot.features.housekeeping.ticks import housekeeping, join_request_reminders
from bot.kernel.feature import Feature
from bot.services.extensions import Tick

FEATURE = Feature(
    name="housekeeping",
    ticks=(Tick("housekeeping", housekeeping), Tick("join_request_reminders", join_request_reminders)),
    catalog="core",
)
