"""Erasure (/xoadulieu): runs every feature's declared eraser in one transaction."""

from bot.features.privacy.handlers import router
from bot.kernel.feature import Feature

FEATURE = Feature(name="privacy", routers=(router,), catalog="core")
