"""Button kinds of good deeds: recording, editing and withdrawing, review, the monthly pack."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.kernel.callbacks import CallbackData


@dataclass(frozen=True)
class RecordDraft(CallbackData, prefix="deed.ask", answers=True):
    record: bool
    nonce: str  # the draft the question was about; an older question is closed


@dataclass(frozen=True)
class EditDeed(CallbackData, prefix="deed.edit"):
    deed_id: int


@dataclass(frozen=True)
class WithdrawDeed(CallbackData, prefix="deed.wd"):
    deed_id: int


@dataclass(frozen=True)
class WithdrawConfirmed(CallbackData, prefix="deed.wd.yes", answers=True):
    deed_id: int


@dataclass(frozen=True)
class KeepDeed(CallbackData, prefix="deed.wd.no", answers=True):
    pass


@dataclass(frozen=True)
class ResubmitDeed(CallbackData, prefix="deed.again"):
    deed_id: int


@dataclass(frozen=True)
class ShareDeed(CallbackData, prefix="deed.share", answers=True):
    share: bool
    deed_id: int


@dataclass(frozen=True)
class ReviewListFor(CallbackData, prefix="deed.review"):
    branch_id: int


@dataclass(frozen=True)
class ReviewDeed(CallbackData, prefix="deed.verdict", answers=True):
    verdict: Literal["accept", "feature", "return"]
    deed_id: int


@dataclass(frozen=True)
class AcceptAll(CallbackData, prefix="deed.okall"):
    branch_id: int
    up_to: int  # the newest deed id the secretary saw


@dataclass(frozen=True)
class RecordForBranch(CallbackData, prefix="deed.for"):
    branch_id: int


@dataclass(frozen=True)
class RecordForMember(CallbackData, prefix="deed.forp"):
    branch_id: int
    person_id: int


@dataclass(frozen=True)
class DeedPackFor(CallbackData, prefix="deed.pack"):
    branch_id: int


@dataclass(frozen=True)
class LinkDeed(CallbackData, prefix="deed.link"):
    """"Gắn với việc đã đăng ký": the member links a deed (often one reported by a plain message or a photo)
    to one of their pledge items afterwards."""

    deed_id: int


@dataclass(frozen=True)
class LinkDeedTo(CallbackData, prefix="deed.linkto", answers=True):
    deed_id: int
    item_id: int


@dataclass(frozen=True)
class NominationVerdict(CallbackData, prefix="deed.nom", answers=True):
    accept: bool
    nomination_id: int
