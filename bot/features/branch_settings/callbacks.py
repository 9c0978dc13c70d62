"""Button kinds of the branch settings feature."""

from __future__ import annotations

from dataclasses import dataclass

from bot.kernel.callbacks import CallbackData


@dataclass(frozen=True)
class BranchSettingsFor(CallbackData, prefix="branch.settings"):
    branch_id: int
