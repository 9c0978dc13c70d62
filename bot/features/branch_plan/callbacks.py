"""Button kinds of the branch's plan and reports. The committee's buttons travel in its notice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.kernel.callbacks import CallbackData

Kind = Literal["plan", "half", "year"]


@dataclass(frozen=True)
class PlanFor(CallbackData, prefix="bp.branch"):
    branch_id: int


@dataclass(frozen=True)
class DocOpen(CallbackData, prefix="bp.open"):
    kind: Kind
    branch_id: int


@dataclass(frozen=True)
class DocFile(CallbackData, prefix="bp.file"):
    doc_id: int


@dataclass(frozen=True)
class DocDecision(CallbackData, prefix="bp.decide", answers=True):
    acknowledge: bool
    doc_id: int
