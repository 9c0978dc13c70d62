"""Button kinds of emulation projects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.kernel.callbacks import CallbackData


@dataclass(frozen=True)
class RegisterProject(CallbackData, prefix="emu.reg"):
    call_id: int


@dataclass(frozen=True)
class ReportMilestone(CallbackData, prefix="emu.rep"):
    milestone_id: int


@dataclass(frozen=True)
class ConfirmMilestone(CallbackData, prefix="emu.ok", answers=True):
    milestone_id: int


@dataclass(frozen=True)
class AppraiseList(CallbackData, prefix="emu.apl"):
    org_id: int


@dataclass(frozen=True)
class Appraise(CallbackData, prefix="emu.apr", answers=True):
    verdict: Literal["passed", "failed"]
    project_id: int


@dataclass(frozen=True)
class Commend(CallbackData, prefix="emu.star", answers=True):
    project_id: int


@dataclass(frozen=True)
class ExportEmulation(CallbackData, prefix="emu.xlsx"):
    org_id: int



@dataclass(frozen=True)
class PendingFor(CallbackData, prefix="emu.pend"):
    branch_id: int
