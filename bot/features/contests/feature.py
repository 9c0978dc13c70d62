"""Contests (hội thi: bài viết, video clip, ảnh): the committee opens one, members enter in chat, judges
score on a rubric, the committee sees entries per branch, ranks, exports and announces the winners."""

from bot.features.contests import models
from bot.features.contests.erasure import _erase_contests
from bot.features.contests.figures import _figures, _figures_bulk
from bot.features.contests.handlers import router
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import Figures, PersonalData

FEATURE = Feature(
    name="contests",
    routers=(router,),
    figures=(Figures("contests", ("contest_entries",), _figures, bulk=_figures_bulk),),
    models=(models.Contest, models.ContestEntry, models.ContestScore),
    erasers=(_erase_contests,),
    # An entry's words, link and file are erased; who created a contest and a judge's points stay by id.
    personal_data=PersonalData(erased=(models.ContestEntry,), by_reference=(models.Contest, models.ContestScore)),
    help=(
        HelpLine("hoithi", "other"),
        HelpLine("chamthi", "other"),
        HelpLine("taohoithi", "committee"),
        HelpLine("dshoithi", "committee"),
    ),
    catalog="contests",
)
