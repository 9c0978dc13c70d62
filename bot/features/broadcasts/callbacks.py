"""Button kinds of notices (broadcasts): compose, confirm, cancel, acknowledge, nudge, send again."""

from __future__ import annotations

from dataclasses import dataclass

from bot.kernel.callbacks import CallbackData


@dataclass(frozen=True)
class NoticeFor(CallbackData, prefix="bc.new"):
    branch_id: int


@dataclass(frozen=True)
class PreviewButton(CallbackData, prefix="bc.preview"):
    pass  # the preview's copies of the members' buttons do nothing


@dataclass(frozen=True)
class ConfirmNotice(CallbackData, prefix="bc.send"):
    broadcast_id: int


@dataclass(frozen=True)
class DropNotice(CallbackData, prefix="bc.drop"):
    broadcast_id: int


@dataclass(frozen=True)
class CancelNotice(CallbackData, prefix="bc.cancel"):
    broadcast_id: int


@dataclass(frozen=True)
class AckNotice(CallbackData, prefix="bc.ack", answers=True):
    broadcast_id: int


@dataclass(frozen=True)
class NotAckedList(CallbackData, prefix="bc.unacked"):
    broadcast_id: int


@dataclass(frozen=True)
class NudgeNotice(CallbackData, prefix="bc.nudge"):
    broadcast_id: int


@dataclass(frozen=True)
class ResendNotice(CallbackData, prefix="bc.resend"):
    broadcast_id: int
