"""Supervision visits (kiểm tra, giám sát): the committee's visits to branches, findings and tasks to fix."""

from bot.features.supervision import handlers, models
from bot.features.supervision.service import task_reminders
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import Tick

FEATURE = Feature(
    name="supervision",
    routers=(handlers.router,),
    ticks=(Tick("supervision_task_reminders", task_reminders),),
    models=(models.SupervisionVisit, models.SupervisionItem, models.SupervisionTask),
    help=(HelpLine("giamsat", "committee"),),
    catalog="supervision",
)
