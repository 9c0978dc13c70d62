"""Commendations (khen thưởng, điển hình tiên tiến): shortlist, proposals to the đảng ủy, awards by year."""

from bot.features.commendations import models
from bot.features.commendations.erasure import _erase_commendations
from bot.features.commendations.handlers import router
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import PersonalData

FEATURE = Feature(
    name="commendations",
    routers=(router,),
    models=(models.CommendProposal, models.CommendAward),
    # Proposals and awards stay as the đảng ủy's register (counts per branch stay right); an erased member's
    # name, reason and evidence are blanked. Who proposed or recorded is kept by id only.
    erasers=(_erase_commendations,),
    personal_data=PersonalData(erased=(models.CommendProposal, models.CommendAward)),
    help=(HelpLine("khenthuong", "branch"),),
    catalog="commendations",
)
