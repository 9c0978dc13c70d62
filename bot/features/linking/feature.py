"""/lienket: one person on Telegram and Zalo, joined by a 6-digit code."""

from bot.features.linking import models
from bot.features.linking.handlers import router
from bot.kernel.feature import Feature

FEATURE = Feature(name="linking", routers=(router,), models=(models.LinkCode, models.LinkFailure), catalog="zalo")
