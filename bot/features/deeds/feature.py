"""Good deeds (việc tốt): reporting, review, commendation, nominations and the monthly pack."""

from bot.features.deeds import models, ticks
from bot.features.deeds.dashboard import _accepted_series, _reported_series, _to_review
from bot.features.deeds.erasure import _erase_deeds
from bot.features.deeds.figures import _deeds_for_pledge_items, _figures, _figures_bulk, _no_deed_month
from bot.features.deeds.handlers import router
from bot.features.deeds.nominations import _commended_deeds
from bot.features.deeds.pack import _workbook_sheet
from bot.features.deeds.record_for import router as record_for_router
from bot.features.deeds.review_handlers import router as review_router
from bot.features.deeds.yearfile import _year_file_section
from bot.i18n import _
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import Audience, ExportSheet, Figures, Pending, PersonalData, Series, Tick

FEATURE = Feature(
    name="deeds",
    routers=(router, review_router, record_for_router),
    ticks=(Tick("deeds_digest", ticks.digest_tick), Tick("deeds_stale", ticks.stale_tick),
           Tick("deeds_pack", ticks.pack_tick)),
    models=(models.Deed, models.Nomination, models.DeedCategory, models.DeedReviewPref),
    audiences=(Audience("no_deed_month", lambda: _("no good deed reported this month"), _no_deed_month),),
    figures=(Figures("deeds", ("deeds_reported", "deeds_accepted", "deeds_featured"), _figures,
                     bulk=_figures_bulk),),
    export_sheets=(ExportSheet("deeds", lambda: _("Good deeds"), _workbook_sheet),),
    erasers=(_erase_deeds,),
    personal_data=PersonalData(erased=(models.Deed, models.Nomination, models.DeedReviewPref)),
    year_file_sections=(_year_file_section,),
    providers={"deeds_for_pledge_items": _deeds_for_pledge_items, "commended_deeds": _commended_deeds},
    help=(
        HelpLine("viectot", "deeds", main=("member", "secretary",)),
        HelpLine("cuatoi", "deeds", main=("member",)),
        HelpLine("guongtot", "deeds"),
        HelpLine("neguong", "deeds"),
        HelpLine("dsneguong", "deeds"),
        HelpLine("duyet", "deeds", main=("secretary",)),
        HelpLine("ghiho", "deeds"),
        HelpLine("bantin", "reports"),
        HelpLine("gioduyet", "branch"),
        HelpLine("loaiviectot", "committee"),
    ),
    catalog="deeds",
    # dash-branch: the dashboard's branch page
    series=(Series("deeds_reported_weekly", lambda: _("Good deeds reported"), _reported_series),
            Series("deeds_accepted_weekly", lambda: _("Good deeds accepted"), _accepted_series)),
    pending=(Pending("deeds_to_review", lambda: _("Good deeds to review"), _to_review),),
)
