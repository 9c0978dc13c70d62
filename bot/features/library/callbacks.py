"""Button kinds of the materials library."""

from __future__ import annotations

from dataclasses import dataclass

from bot.kernel.callbacks import CallbackData


@dataclass(frozen=True)
class OpenItem(CallbackData, prefix="lib.open"):
    item_id: int


@dataclass(frozen=True)
class LibraryPage(CallbackData, prefix="lib.page"):
    page: int
    query: str  # the folded words joined by "." ("-" for none)


@dataclass(frozen=True)
class LibraryExport(CallbackData, prefix="lib.xlsx"):
    org_id: int
