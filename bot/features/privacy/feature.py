"""Erasure (/xoadulieu): runs every feature's declared eraser in one transaction, then the engine's own."""

from bot.features.privacy.handlers import router
from bot.features.privacy.service import _blank_delivered_notice
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import PersonalData
from storage.models.joining import JoinCode, JoinFailure
from storage.models.outbox import OutboxMessage
from storage.models.people import Identity, Membership, OrgRole, Person
from storage.models.system import AuditLog, ConversationState

FEATURE = Feature(
    name="privacy",
    routers=(router,),
    # The engine's tables, erased by PrivacyService itself (docs/PRIVACY.md).
    personal_data=PersonalData(
        erased=(Person, Identity, OutboxMessage, ConversationState),
        # Membership (the anonymous row keeps branch totals), committee roles, codes created, the audit
        # log (ids only), wrong join codes (an account id and a time, kept for the lockout).
        by_reference=(Membership, OrgRole, JoinCode, JoinFailure, AuditLog),
    ),
    outbox_observers=(_blank_delivered_notice,),
    help=(
        HelpLine("xoadulieu", "account"),
    ),
    catalog="core",
)
