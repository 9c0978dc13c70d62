"""Notices (thông báo) to a branch or a đảng bộ: audience, preview, live progress, acknowledgements."""

from bot.features.broadcasts import models
from bot.features.broadcasts.erasure import _erase_broadcasts
from bot.features.broadcasts.figures import (
    _all_members,
    _not_acknowledged_last,
    _notice_figures,
    _notice_figures_bulk,
    _notice_sheet,
)
from bot.features.broadcasts.handlers import router
from bot.features.broadcasts.sending import _observe, broadcast_progress
from bot.features.broadcasts.yearfile import _year_file_section
from bot.i18n import _
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import Audience, ExportSheet, Figures, PersonalData, Tick

FEATURE = Feature(
    name="broadcasts",
    routers=(router,),
    ticks=(Tick("broadcast_progress", broadcast_progress),),
    models=(models.Broadcast, models.BroadcastAck),
    audiences=(
        Audience("all", lambda: _("The whole branch"), _all_members),
        Audience("not_acknowledged_last", lambda: _("Those who have not confirmed the last notice"),
                 _not_acknowledged_last),
    ),
    figures=(Figures("notices", ("notices", "notices_sent", "notices_ack_sent", "notices_acknowledged"),
                     _notice_figures, bulk=_notice_figures_bulk),),
    export_sheets=(ExportSheet("notices", lambda: _("Notices"), _notice_sheet),),
    erasers=(_erase_broadcasts,),
    personal_data=PersonalData(erased=(models.Broadcast,), by_reference=(models.BroadcastAck,)),
    outbox_observers=(_observe,),
    year_file_sections=(_year_file_section,),
    help=(
        HelpLine("thongbao", "branch", main=("secretary",)),
    ),
    catalog="secretary",
)
