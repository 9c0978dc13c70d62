"""Joining a branch, approval, /help, /toi, /doiten, leaving and erasing (the conversation side)."""

from bot.features.onboarding.handlers import router
from bot.kernel.feature import Feature

FEATURE = Feature(name="onboarding", routers=(router,), catalog="core")
