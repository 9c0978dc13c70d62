"""Dialogue (ý kiến, kiến nghị; "lắng nghe, đối thoại"): members' opinions and proposals to the branch
secretary or the committee, named or (where the committee allows it) anonymous, each numbered and followed
through received → being handled → answered."""

from bot.features.dialogue import models
from bot.features.dialogue.dashboard import _open_items
from bot.features.dialogue.erasure import _erase_dialogue
from bot.features.dialogue.handlers import router
from bot.i18n import _
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import Pending, PersonalData

FEATURE = Feature(
    name="dialogue",
    routers=(router,),
    models=(models.DialogueItem, models.DialogueSeal, models.DialogueSettings),
    erasers=(_erase_dialogue,),
    personal_data=PersonalData(erased=(models.DialogueItem, models.DialogueSeal)),
    help=(
        HelpLine("ykien", "other"),
        HelpLine("hopthu", "committee"),
    ),
    catalog="dialogue",
    # dash-branch: the dashboard's branch page
    pending=(Pending("dialogue_open", lambda: _("Opinions and proposals not yet answered"), _open_items),),
)
