"""Button kinds of commendations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.kernel.callbacks import CallbackData


@dataclass(frozen=True)
class CommendFor(CallbackData, prefix="cm.branch"):
    branch_id: int


@dataclass(frozen=True)
class ProposeStart(CallbackData, prefix="cm.prop"):
    kind: Literal["individual", "collective"]
    branch_id: int


@dataclass(frozen=True)
class CommendFile(CallbackData, prefix="cm.file"):
    kind: Literal["xlsx", "docx"]
    branch_id: int


@dataclass(frozen=True)
class CommendAwards(CallbackData, prefix="cm.awards"):
    branch_id: int


@dataclass(frozen=True)
class DecideProposal(CallbackData, prefix="cm.decide", answers=True):
    award: bool
    proposal_id: int


@dataclass(frozen=True)
class OrgCommendFile(CallbackData, prefix="cm.orgfile"):
    org_id: int
