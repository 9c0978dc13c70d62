"""Button kinds of contests (hội thi)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.kernel.callbacks import CallbackData


@dataclass(frozen=True)
class EnterContest(CallbackData, prefix="cst.enter"):
    contest_id: int


@dataclass(frozen=True)
class ContestCard(CallbackData, prefix="cst.card"):
    contest_id: int


@dataclass(frozen=True)
class ContestCounts(CallbackData, prefix="cst.count"):
    contest_id: int


@dataclass(frozen=True)
class JudgeContest(CallbackData, prefix="cst.judge"):
    contest_id: int


@dataclass(frozen=True)
class ScoreEntry(CallbackData, prefix="cst.score"):
    entry_id: int


@dataclass(frozen=True)
class ContestResults(CallbackData, prefix="cst.res"):
    contest_id: int


@dataclass(frozen=True)
class ContestExport(CallbackData, prefix="cst.xlsx"):
    contest_id: int


@dataclass(frozen=True)
class ContestWinners(CallbackData, prefix="cst.docx"):
    contest_id: int


@dataclass(frozen=True)
class AnnounceResults(CallbackData, prefix="cst.ann"):
    contest_id: int


@dataclass(frozen=True)
class NameJudge(CallbackData, prefix="cst.namej"):
    contest_id: int
