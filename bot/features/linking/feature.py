"""/lienket: one person on Telegram and Zalo, joined by a 6-digit code."""

from bot.features.linking import models
from bot.features.linking.erasure import _erase_links
from bot.features.linking.handlers import router
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import PersonalData

FEATURE = Feature(name="linking", routers=(router,), models=(models.LinkCode, models.LinkFailure),
                  erasers=(_erase_links,),
                  # Wrong-code records outlive /xoadulieu (counted per chat account, no text in them).
                  personal_data=PersonalData(erased=(models.LinkCode,), by_reference=(models.LinkFailure,)),
                  help=(HelpLine("lienket", "account"), HelpLine("kenh", "learn")), catalog="zalo")
