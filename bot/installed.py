"""Every feature of the bot, in one list. The App builds its registries from this tuple (order matters
only for fallbacks of equal priority and for the order of /help)."""

from bot.features.admin.feature import FEATURE as admin
from bot.features.branch_plan.feature import FEATURE as branch_plan
from bot.features.branch_settings.feature import FEATURE as branch_settings
from bot.features.broadcasts.feature import FEATURE as broadcasts
from bot.features.classification.feature import FEATURE as classification
from bot.features.commendations.feature import FEATURE as commendations
from bot.features.contests.feature import FEATURE as contests
from bot.features.daily.feature import FEATURE as daily
from bot.features.dashboard.feature import FEATURE as dashboard
from bot.features.deeds.feature import FEATURE as deeds
from bot.features.dialogue.feature import FEATURE as dialogue
from bot.features.emulation.feature import FEATURE as emulation
from bot.features.housekeeping.feature import FEATURE as housekeeping
from bot.features.library.feature import FEATURE as library
from bot.features.linking.feature import FEATURE as linking
from bot.features.meetings.feature import FEATURE as meetings
from bot.features.onboarding.feature import FEATURE as onboarding
from bot.features.pledges.feature import FEATURE as pledges
from bot.features.privacy.feature import FEATURE as privacy
from bot.features.reports.feature import FEATURE as reports
from bot.features.supervision.feature import FEATURE as supervision
from bot.features.votes.feature import FEATURE as votes
from bot.features.yearfile.feature import FEATURE as yearfile
from bot.features.zalo_quota.feature import FEATURE as zalo_quota
from bot.kernel.feature import Feature

FEATURES: tuple[Feature, ...] = (
    onboarding,
    admin,
    housekeeping,
    privacy,
    linking,
    branch_settings,
    daily,
    pledges,
    deeds,
    broadcasts,
    meetings,
    votes,
    emulation,
    library,
    contests,
    reports,
    supervision,
    yearfile,
    zalo_quota,
    classification,
    commendations,
    branch_plan,
    dialogue,
    dashboard,
)
