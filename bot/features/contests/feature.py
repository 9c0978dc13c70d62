"""Contests (hội thi: bài viết, video clip, ảnh): the committee opens one, members enter in chat, judges
score on a rubric, the committee sees entries per branch, ranks, exports and announces the winners."""

from bot.features.contests import models
from bot.features.contests.handlers import router
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine

FEATURE = Feature(
    name="contests",
    routers=(router,),
    models=(models.Contest, models.ContestEntry, models.ContestScore),
    help=(
        HelpLine("hoithi", "other"),
        HelpLine("chamthi", "other"),
        HelpLine("taohoithi", "committee"),
        HelpLine("dshoithi", "committee"),
    ),
    catalog="contests",
)
