"""Button kinds of the minutes (biên bản) and of the tasks assigned in them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.kernel.callbacks import CallbackData


@dataclass(frozen=True)
class MinutesFor(CallbackData, prefix="mn.branch"):
    branch_id: int


@dataclass(frozen=True)
class MinutesOpen(CallbackData, prefix="mn.open"):
    meeting_id: int


@dataclass(frozen=True)
class MinutesEdit(CallbackData, prefix="mn.edit"):
    meeting_id: int
    part: Literal["chair", "recorder", "guests", "discussion", "conclusions", "closing_time"]


@dataclass(frozen=True)
class MinutesAddTask(CallbackData, prefix="mn.task"):
    meeting_id: int


@dataclass(frozen=True)
class MinutesTaskList(CallbackData, prefix="mn.tasks"):
    meeting_id: int


@dataclass(frozen=True)
class MinutesDropTask(CallbackData, prefix="mn.drop"):
    task_id: int


@dataclass(frozen=True)
class MinutesExport(CallbackData, prefix="mn.docx"):
    meeting_id: int


@dataclass(frozen=True)
class TaskDone(CallbackData, prefix="mn.done", answers=True):
    task_id: int
