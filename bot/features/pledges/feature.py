"""Pledges (phiếu đăng ký học tập và làm theo Bác): the form, review, check-ins and the year end."""

from bot.features.pledges import (
    handlers_assessment,
    handlers_checkins,
    handlers_form,
    handlers_secretary,
    handlers_view,
    models,
    ticks,
)
from bot.features.pledges.assessment import _lock_self_assessment, _self_assessment
from bot.features.pledges.dashboard import _by_state_series, _to_approve
from bot.features.pledges.erasure import _erase_pledges
from bot.features.pledges.exports import _workbook_sheet
from bot.features.pledges.figures import _figures, _figures_bulk, _not_pledged_audience, _pledge_items, _pledge_results
from bot.features.pledges.yearfile import _year_file_section
from bot.i18n import _
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import Audience, ExportSheet, Figures, Pending, PersonalData, Series, Tick

FEATURE = Feature(
    name="pledges",
    routers=(handlers_form.router, handlers_view.router, handlers_checkins.router, handlers_assessment.router,
             handlers_secretary.router),
    ticks=(
        Tick("pledges_checkin", ticks.checkin_round),
        Tick("pledges_midyear", ticks.midyear_prompt),
        Tick("pledges_yearend", ticks.yearend_draft_tick),
        Tick("pledges_deadline", ticks.deadline_reminders),
        Tick("pledges_returned", ticks.returned_reminders),
    ),
    models=(models.Pledge, models.PledgeItem, models.PledgeVersion, models.PledgeCheckinRound, models.PledgeCheckin,
            models.PledgeCheckinAnswer, models.PledgeReview, models.PledgeReviewVersion,
            models.PledgeBranchSettings, models.PledgeReminder),
    audiences=(Audience("not_pledged", lambda: _("Members without a pledge this year"), _not_pledged_audience),),
    figures=(Figures("pledges", ("pledged", "pledges_approved", "checkin_sent", "checkin_answered"), _figures,
                     bulk=_figures_bulk),),
    export_sheets=(ExportSheet("pledges", lambda: _("Pledges"), _workbook_sheet),),
    erasers=(_erase_pledges,),
    personal_data=PersonalData(
        erased=(models.Pledge, models.PledgeVersion, models.PledgeCheckin, models.PledgeReview,
                models.PledgeReviewVersion, models.PledgeReminder),
        by_reference=(models.PledgeBranchSettings,),  # who last changed the check-in frequency
    ),
    providers={"pledge_items": _pledge_items, "self_assessment": _self_assessment,
               "lock_self_assessment": _lock_self_assessment, "pledge_results": _pledge_results},
    year_file_sections=(_year_file_section,),
    help=(
        HelpLine("dangky", "deeds", main=("member",)),
        HelpLine("camket", "deeds", main=("member",)),
        HelpLine("tudanhgia", "deeds"),
        HelpLine("rutdanhgia", "deeds"),
        HelpLine("dangky_tinhhinh", "deeds"),
        HelpLine("dangky_cho", "deeds"),
        HelpLine("dangky_caidat", "branch"),
    ),
    catalog="pledges",
    # dash-branch: the dashboard's branch page
    series=(Series("pledges_by_state", lambda: _("Members by the state of their pledge"), _by_state_series),),
    pending=(Pending("pledges_to_approve", lambda: _("Pledges to approve"), _to_approve),),
)
