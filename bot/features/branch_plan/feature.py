"""The branch's own plan ("học tập và làm theo") and its six-month and year-end reports to the đảng ủy."""

from bot.features.branch_plan import models
from bot.features.branch_plan.handlers import router
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import PersonalData

FEATURE = Feature(
    name="branch_plan",
    routers=(router,),
    models=(models.BranchDoc,),
    # The papers are the branch's, not a person's: who edited or decided is kept by id only.
    personal_data=PersonalData(by_reference=(models.BranchDoc,)),
    help=(HelpLine("kehoach", "branch"),),
    catalog="branch_plan",
)
