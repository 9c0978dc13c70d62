"""Button kinds of the privacy feature."""

from __future__ import annotations

from dataclasses import dataclass

from bot.kernel.callbacks import CallbackData


@dataclass(frozen=True)
class EraseData(CallbackData, prefix="erase", answers=True):
    confirmed: bool
