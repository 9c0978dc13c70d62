"""Button kinds of pledges: the member's draft, the secretary's decision, check-ins, year-end, settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.kernel.callbacks import CallbackData


@dataclass(frozen=True)
class PledgeDraft(CallbackData, prefix="pl.draft"):
    action: Literal["open", "view", "go", "new", "amend", "send", "add"]


@dataclass(frozen=True)
class PledgeEditPart(CallbackData, prefix="pl.edit"):
    part: Literal["duty", "short", "commit"]


@dataclass(frozen=True)
class PledgeEditDeed(CallbackData, prefix="pl.editdeed"):
    index: int


@dataclass(frozen=True)
class PledgeRemoveDeed(CallbackData, prefix="pl.rmdeed"):
    index: int


@dataclass(frozen=True)
class ViewPledge(CallbackData, prefix="pl.view"):
    pledge_id: int


@dataclass(frozen=True)
class DecidePledge(CallbackData, prefix="pl.decide", answers=True):
    verdict: Literal["ok", "back"]
    pledge_id: int
    version: int


@dataclass(frozen=True)
class CheckinAnswer(CallbackData, prefix="pl.ci", answers=True):
    checkin_id: int
    item_id: int
    mark: Literal["done", "doing", "not"]


@dataclass(frozen=True)
class CheckinNote(CallbackData, prefix="pl.cinote"):
    checkin_id: int


@dataclass(frozen=True)
class MidyearCheck(CallbackData, prefix="pl.midyear"):
    pledge_id: int


@dataclass(frozen=True)
class YearendEdit(CallbackData, prefix="pl.ye.edit", answers=True):
    review_id: int


@dataclass(frozen=True)
class YearendShow(CallbackData, prefix="pl.ye.show"):
    review_id: int


@dataclass(frozen=True)
class YearendWithdraw(CallbackData, prefix="pl.ye.back", answers=True):
    review_id: int


@dataclass(frozen=True)
class YearendLevel(CallbackData, prefix="pl.ye.level"):
    review_id: int
    level: Literal["excellent", "good", "done", "not_done"]


@dataclass(frozen=True)
class YearendSend(CallbackData, prefix="pl.ye.send", answers=True):
    review_id: int


@dataclass(frozen=True)
class YearendSection(CallbackData, prefix="pl.ye.sec", answers=True):
    review_id: int
    key: str


@dataclass(frozen=True)
class YearendPoints(CallbackData, prefix="pl.ye.pts", answers=True):
    review_id: int


@dataclass(frozen=True)
class YearendPickLevel(CallbackData, prefix="pl.ye.pick", answers=True):
    review_id: int


@dataclass(frozen=True)
class YearendKeepLevel(CallbackData, prefix="pl.ye.keep", answers=True):
    review_id: int


@dataclass(frozen=True)
class PledgeReviewWindow(CallbackData, prefix="pl.window"):
    branch_id: int


@dataclass(frozen=True)
class PledgeStatusFor(CallbackData, prefix="pl.status"):
    branch_id: int


@dataclass(frozen=True)
class PledgeNudge(CallbackData, prefix="pl.nudge"):
    branch_id: int


@dataclass(frozen=True)
class PledgeExportFor(CallbackData, prefix="pl.xlsx"):
    branch_id: int


@dataclass(frozen=True)
class YearendExportFor(CallbackData, prefix="pl.ye.xlsx"):
    branch_id: int


@dataclass(frozen=True)
class PledgeSettingsFor(CallbackData, prefix="pl.settings"):
    branch_id: int


@dataclass(frozen=True)
class PledgeFrequency(CallbackData, prefix="pl.freq"):
    frequency: Literal["monthly", "quarterly"]
    branch_id: int


@dataclass(frozen=True)
class PledgeDeadline(CallbackData, prefix="pl.deadline"):
    branch_id: int


@dataclass(frozen=True)
class PledgeHistoryView(CallbackData, prefix="pl.hist"):
    pledge_id: int


@dataclass(frozen=True)
class PledgeChanges(CallbackData, prefix="pl.diff"):
    pledge_id: int
    version: int


@dataclass(frozen=True)
class PendingPledges(CallbackData, prefix="pl.pend"):
    branch_id: int
    page: int


@dataclass(frozen=True)
class PendingPledgeAct(CallbackData, prefix="pl.pendact"):
    action: Literal["ok", "open"]
    pledge_id: int
    version: int
    branch_id: int
    page: int
