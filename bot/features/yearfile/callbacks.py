"""Button kinds of the year file: a member's file, a figure's rows, the exports, the secretary's member list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.kernel.callbacks import CallbackData


@dataclass(frozen=True)
class YearShow(CallbackData, prefix="yf.show"):
    branch_id: int
    person_id: int
    year: int


@dataclass(frozen=True)
class YearRows(CallbackData, prefix="yf.rows"):
    """"Xem chi tiết": the dated rows behind one figure, a page at a time."""

    branch_id: int
    person_id: int
    year: int
    section: str
    figure: str
    page: int


@dataclass(frozen=True)
class YearExport(CallbackData, prefix="yf.doc"):
    branch_id: int
    person_id: int
    year: int
    fmt: Literal["docx", "xlsx"]


@dataclass(frozen=True)
class YearMembers(CallbackData, prefix="yf.list"):
    branch_id: int
    year: int
    page: int


@dataclass(frozen=True)
class YearBranchBook(CallbackData, prefix="yf.book"):
    branch_id: int
    year: int
