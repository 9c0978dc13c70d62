"""The materials library (tài liệu sinh hoạt, chuyên đề): upload, find and open, per-branch open counts, and
the providers a meeting notice and the thematic reminder use."""

from bot.features.library import handlers, models
from bot.features.library.handlers import open_buttons
from bot.features.library.service import attach, attached, items_for
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import PersonalData

FEATURE = Feature(
    name="library",
    routers=(handlers.router,),
    models=(models.LibraryItem, models.LibraryOpenCount, models.LibraryAttachment),
    # The uploader's id only (the item belongs to the đảng bộ or branch); opens are counted per branch.
    personal_data=PersonalData(by_reference=(models.LibraryItem,)),
    providers={"library_items_for": items_for, "library_attach": attach, "library_attached": attached,
               "library_buttons": open_buttons},
    help=(
        HelpLine("tailieu", "meetings", main=("member",)),
        HelpLine("tailieu_moi", "meetings"),
        HelpLine("tailieu_thongke", "committee"),
    ),
    catalog="library",
)
