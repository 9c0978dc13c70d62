"""Joining a branch, approval, /help, /toi, /doiten, /roi, language and member lists (the conversation side of
membership; the membership rules are the engine's OrgService), and the reminder of waiting join requests."""

from bot.features.onboarding.callbacks import join_buttons
from bot.features.onboarding.handlers import router
from bot.features.onboarding.ticks import join_request_reminders
from bot.kernel.feature import Feature
from bot.services.extensions import Tick

FEATURE = Feature(
    name="onboarding",
    routers=(router,),
    ticks=(Tick("join_request_reminders", join_request_reminders),),
    providers={"join_buttons": join_buttons},
    catalog="core",
)
