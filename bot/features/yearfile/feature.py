"""The year file (hồ sơ năm): a member's year from records only, each figure traced to its dated rows.

Every feature contributes its own section (``Feature.year_file_sections``); this feature gathers them, shows
them (/namcuatoi, /hosonam), exports them (.docx, .xlsx) and answers the ``year_file_summary`` provider.
"""

from functools import partial

from bot.features.yearfile.handlers import router
from bot.features.yearfile.service import year_file_summary
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import PerApp

FEATURE = Feature(
    name="yearfile",
    routers=(router,),
    providers={"year_file_summary": PerApp(lambda services: partial(year_file_summary, services))},
    help=(
        HelpLine("namcuatoi", "deeds"),
        HelpLine("hosonam", "reports"),
    ),
    catalog="yearfile",
)
