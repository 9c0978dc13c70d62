"""Button kinds of supervision visits."""

from __future__ import annotations

from dataclasses import dataclass

from bot.kernel.callbacks import CallbackData


@dataclass(frozen=True)
class SupPlan(CallbackData, prefix="sup.plan"):
    org_id: int


@dataclass(frozen=True)
class SupExport(CallbackData, prefix="sup.xlsx"):
    org_id: int


@dataclass(frozen=True)
class SupBranch(CallbackData, prefix="sup.branch"):
    branch_id: int


@dataclass(frozen=True)
class SupVisit(CallbackData, prefix="sup.visit"):
    visit_id: int


@dataclass(frozen=True)
class SupRecord(CallbackData, prefix="sup.rec"):
    visit_id: int


@dataclass(frozen=True)
class SupConclude(CallbackData, prefix="sup.concl"):
    visit_id: int


@dataclass(frozen=True)
class SupMinutes(CallbackData, prefix="sup.doc"):
    visit_id: int


@dataclass(frozen=True)
class SupFixed(CallbackData, prefix="sup.fixed"):
    task_id: int


@dataclass(frozen=True)
class SupClose(CallbackData, prefix="sup.close", answers=True):
    task_id: int
