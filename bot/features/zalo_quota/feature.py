"""Zalo bots in the domain: the branches each bot serves, its monthly message quota and its forecast."""

from bot.features.zalo_quota import models
from bot.features.zalo_quota.service import (
    ZaloQuotaService,
    _quota_figures,
    _quota_figures_bulk,
    _zalo_join_guard,
    forecast_tick,
)
from bot.kernel.feature import Feature
from bot.services.extensions import Figures, Tick

FEATURE = Feature(
    name="zalo_quota",
    models=(models.ZaloQuota,),
    ticks=(Tick("zalo_forecast", forecast_tick),),
    figures=(Figures("zalo_quota", ("zalo_quota_used", "zalo_quota_limit", "zalo_forecast", "zalo_forecast_percent",
                                    "zalo_members", "zalo_member_cap"), _quota_figures,
                     bulk=_quota_figures_bulk),),
    join_guards=(_zalo_join_guard,),
    send_gates=(lambda services: services.get(ZaloQuotaService).gate,),
    catalog="zalo",
)
