""""Học Bác mỗi ngày": the daily item, its settings, reading receipts, themes and content import."""

from bot.features.daily import models
from bot.features.daily.catalog import check_library
from bot.features.daily.cli import register
from bot.features.daily.dashboard import _reading_series
from bot.features.daily.delivery import daily_tick
from bot.features.daily.erasure import _erase
from bot.features.daily.figures import (
    _delivery_time,
    _delivery_time_many,
    _paused_until,
    _read_figures,
    _read_figures_bulk,
    _sent_figures,
    _sent_figures_bulk,
    _year_theme,
)
from bot.features.daily.handlers import reading_streak_line, router
from bot.features.daily.yearfile import _year_file_section
from bot.i18n import _
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import Figures, PersonalData, Series, Tick

FEATURE = Feature(
    name="daily",
    routers=(router,),
    ticks=(Tick("daily", daily_tick),),
    models=(models.DailyPref, models.BranchDaily, models.ContentItemRow, models.YearTheme, models.DailyChoice,
            models.DailyUsage, models.DailyRead),
    figures=(Figures("daily", ("daily_read", "daily_readers"), _read_figures, bulk=_read_figures_bulk),
             Figures("daily_sent", ("daily_sent",), _sent_figures, bulk=_sent_figures_bulk)),
    erasers=(_erase,),
    personal_data=PersonalData(erased=(models.DailyPref, models.DailyRead, models.BranchDaily, models.ContentItemRow,
                                       models.YearTheme)),
    profile_sections=(reading_streak_line,),
    providers={"delivery_time": _delivery_time, "delivery_time_many": _delivery_time_many,
               "paused_until": _paused_until, "year_theme": _year_theme},
    cli=(register,),
    startup_checks=(check_library,),
    year_file_sections=(_year_file_section,),
    help=(
        HelpLine("homnay", "learn", main=("member",)),
        HelpLine("ngaunhien", "learn"),
        HelpLine("timkiem", "learn"),
        HelpLine("chuyende", "learn"),
        HelpLine("caidat", "learn"),
        HelpLine("dadoc", "reports"),
        HelpLine("lienketnhom", "branch"),
    ),
    catalog="daily",
    # dash-branch: the dashboard's branch page
    series=(Series("reading_weekly", lambda: _("Reading days of the daily study"), _reading_series),),
)
