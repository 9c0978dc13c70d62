"""The engine's housekeeping tick: expire outbox rows that can no longer go out, forget old update ids."""

from bot.features.housekeeping.ticks import housekeeping
from bot.kernel.feature import Feature
from bot.services.extensions import Tick

FEATURE = Feature(name="housekeeping", ticks=(Tick("housekeeping", housekeeping),), catalog="core")
