"""Button kinds of the dialogue feature (opinions and proposals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.kernel.callbacks import CallbackData


@dataclass(frozen=True)
class NewItem(CallbackData, prefix="dlg.new"):
    pass


@dataclass(frozen=True)
class ShowItem(CallbackData, prefix="dlg.show"):
    item_id: int


@dataclass(frozen=True)
class MarkHandling(CallbackData, prefix="dlg.hdl", answers=True):
    item_id: int


@dataclass(frozen=True)
class AnswerItem(CallbackData, prefix="dlg.ans"):
    item_id: int


@dataclass(frozen=True)
class WithdrawItem(CallbackData, prefix="dlg.wd"):
    item_id: int


@dataclass(frozen=True)
class InboxPage(CallbackData, prefix="dlg.inbox"):
    scope: Literal["branch", "committee"]
    target_id: int  # the branch id, or the đảng bộ id
    page: int


@dataclass(frozen=True)
class BranchInboxFor(CallbackData, prefix="dlg.for"):
    branch_id: int


@dataclass(frozen=True)
class ExportItems(CallbackData, prefix="dlg.xlsx"):
    org_id: int


@dataclass(frozen=True)
class SetAnonymous(CallbackData, prefix="dlg.anon", answers=True):
    org_id: int
    allowed: bool


@dataclass(frozen=True)
class MyItems(CallbackData, prefix="dlg.mine"):
    pass
