"""The branch's year-end classification of its members (issue #15 part 3; docs/year-end.md §1, §3)."""

from bot.features.classification import handlers, models
from bot.features.classification.erasure import _erase_classification
from bot.features.classification.service import classification_results
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import PersonalData

FEATURE = Feature(
    name="classification",
    routers=(handlers.router,),
    models=(models.ClassificationProposal, models.ClassificationSettings),
    erasers=(_erase_classification,),
    personal_data=PersonalData(
        erased=(models.ClassificationProposal,),
        by_reference=(models.ClassificationSettings,),  # who last changed the branch's settings
    ),
    providers={"classification_results": classification_results},
    help=(HelpLine("xeploai", "branch"),),
    catalog="classification",
)
