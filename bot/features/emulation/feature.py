"""Emulation projects (công trình, phần việc thi đua): a committee's call, projects registered by branches
or groups of members, milestones with evidence, confirmation, appraisal, commendation, counts, reminders."""

from bot.features.emulation import models
from bot.features.emulation.figures import _figures, _figures_bulk
from bot.features.emulation.handlers import router
from bot.features.emulation.ticks import milestone_reminders
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import Figures, PersonalData, Tick

FEATURE = Feature(
    name="emulation",
    routers=(router,),
    figures=(Figures("emulation", ("emulation_projects",), _figures, bulk=_figures_bulk),),
    ticks=(Tick("emulation_reminders", milestone_reminders),),
    models=(models.EmulationCall, models.EmulationProject, models.EmulationMilestone),
    # A project is the branch's record of its work (the committee's count and appraisal): its rows keep the
    # erased person's anonymised id, as pledges' reviews do.
    personal_data=PersonalData(by_reference=(models.EmulationCall, models.EmulationProject,
                                             models.EmulationMilestone)),
    help=(
        HelpLine("congtrinh", "deeds"),
        HelpLine("xacnhanmoc", "branch"),
        HelpLine("dotthidua", "committee"),
        HelpLine("thidua", "committee"),
    ),
    catalog="emulation",
)
