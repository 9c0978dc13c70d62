"""The engine's housekeeping ticks: expire outbox rows that can no longer go out, forget old update ids, drop
old outbox payloads."""

from bot.features.housekeeping.ticks import housekeeping, outbox_retention
from bot.kernel.feature import Feature
from bot.services.extensions import Tick

FEATURE = Feature(
    name="housekeeping",
    ticks=(Tick("housekeeping", housekeeping), Tick("outbox_retention", outbox_retention)),
    catalog="core",
)
