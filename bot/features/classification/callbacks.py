"""Button kinds of the branch's classification (/xeploai)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.kernel.callbacks import CallbackData


@dataclass(frozen=True)
class ClsPage(CallbackData, prefix="cls.page"):
    branch_id: int
    page: int


@dataclass(frozen=True)
class ClsMember(CallbackData, prefix="cls.member"):
    branch_id: int
    person_id: int


@dataclass(frozen=True)
class ClsPropose(CallbackData, prefix="cls.propose"):
    branch_id: int
    person_id: int
    mode: Literal["new", "resume"]


@dataclass(frozen=True)
class ClsVote(CallbackData, prefix="cls.vote"):
    proposal_id: int


@dataclass(frozen=True)
class ClsRecord(CallbackData, prefix="cls.record"):
    proposal_id: int


@dataclass(frozen=True)
class ClsCheck(CallbackData, prefix="cls.check"):
    branch_id: int


@dataclass(frozen=True)
class ClsExport(CallbackData, prefix="cls.export"):
    branch_id: int


@dataclass(frozen=True)
class ClsConfirm(CallbackData, prefix="cls.confirm"):
    branch_id: int


@dataclass(frozen=True)
class ClsSettings(CallbackData, prefix="cls.set"):
    branch_id: int
    action: Literal["cap", "anon"]
