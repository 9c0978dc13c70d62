"""/baocao: the branch's figures with a chart and a workbook; the committee's view of its branches."""

from bot.features.reports.handlers import router
from bot.features.reports.service import _member_figures, _member_figures_bulk, _member_sheet
from bot.i18n import _
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import ExportSheet, Figures

FEATURE = Feature(
    name="reports",
    routers=(router,),
    figures=(Figures("members", ("members",), _member_figures, bulk=_member_figures_bulk),),
    export_sheets=(ExportSheet("members", lambda: _("Members"), _member_sheet),),
    help=(
        HelpLine("baocao", "reports", main=("secretary", "committee")),
    ),
    catalog="secretary",
)
