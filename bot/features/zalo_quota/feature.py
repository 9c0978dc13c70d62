"""Zalo bots in the domain: the branches each bot serves and its monthly message quota."""

from bot.features.zalo_quota import models
from bot.features.zalo_quota.service import ZaloQuotaService, _quota_figures, _zalo_join_guard
from bot.kernel.feature import Feature
from bot.services.extensions import Figures

FEATURE = Feature(
    name="zalo_quota",
    models=(models.ZaloQuota,),
    figures=(Figures("zalo_quota", ("zalo_quota_used", "zalo_quota_limit"), _quota_figures),),
    join_guards=(_zalo_join_guard,),
    send_gates=(lambda services: services.get(ZaloQuotaService).gate,),
    catalog="zalo",
)
