"""Button kinds of onboarding and branch membership. JoinDecision is also built by housekeeping's reminder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.i18n import _
from bot.kernel.callbacks import CallbackData
from bot.messages import Button


@dataclass(frozen=True)
class JoinDecision(CallbackData, prefix="join", answers=True):
    verdict: Literal["ok", "no"]
    membership_id: int


@dataclass(frozen=True)
class LeaveBranch(CallbackData, prefix="leave"):
    branch_id: int


@dataclass(frozen=True)
class StayInBranch(CallbackData, prefix="leave.no", answers=True):
    pass


@dataclass(frozen=True)
class SetLanguage(CallbackData, prefix="lang", answers=True):
    locale: Literal["vi", "en"]


@dataclass(frozen=True)
class JoinCodeFor(CallbackData, prefix="join.code"):
    branch_id: int


@dataclass(frozen=True)
class PendingFor(CallbackData, prefix="join.wait"):
    branch_id: int


@dataclass(frozen=True)
class MembersFor(CallbackData, prefix="members"):
    branch_id: int


@dataclass(frozen=True)
class MenuCommand(CallbackData, prefix="menu"):
    """A button standing for a command (the "➕ More" menu); the command's own audience check applies."""

    command: str


@dataclass(frozen=True)
class HelpMore(CallbackData, prefix="help.more"):
    pass


def join_buttons(membership_id: int) -> list[list[Button]]:
    """Approve / reject for a join request: the request, the two-day reminder (the ``join_buttons`` provider)."""
    return [[Button(_("✅ Approve"), JoinDecision("ok", membership_id).pack()),
             Button(_("❌ Reject"), JoinDecision("no", membership_id).pack())]]
