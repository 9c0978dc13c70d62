"""System and committee administration, in chat and as `hocbac admin …`."""

from bot.features.admin.cli import register
from bot.features.admin.handlers import router
from bot.kernel.feature import Feature

FEATURE = Feature(name="admin", routers=(router,), cli=(register,), catalog="core")
