"""Button kinds of meetings: scheduling, notices, RSVP, attendance, rates and branch settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.kernel.callbacks import CallbackData


@dataclass(frozen=True)
class MeetingFor(CallbackData, prefix="mt.new"):
    branch_id: int


@dataclass(frozen=True)
class MeetingFromReminder(CallbackData, prefix="mt.plan"):
    branch_id: int
    kind: Literal["regular", "thematic"]
    day: date | None  # none for a thematic meeting: the secretary picks the day


@dataclass(frozen=True)
class OneTapNotice(CallbackData, prefix="mt.tomorrow"):
    branch_id: int
    day: date


@dataclass(frozen=True)
class SendNotice(CallbackData, prefix="mt.notice"):
    meeting_id: int


@dataclass(frozen=True)
class Rsvp(CallbackData, prefix="mt.rsvp"):
    attend: bool
    meeting_id: int


@dataclass(frozen=True)
class AttendanceFor(CallbackData, prefix="mt.att"):
    branch_id: int


@dataclass(frozen=True)
class AttendanceSheet(CallbackData, prefix="mt.sheet"):
    meeting_id: int


@dataclass(frozen=True)
class ToggleAttendance(CallbackData, prefix="mt.mark"):
    meeting_id: int
    person_id: int


@dataclass(frozen=True)
class AllYesAttended(CallbackData, prefix="mt.allyes"):
    meeting_id: int


@dataclass(frozen=True)
class NewCheckinCode(CallbackData, prefix="mt.code"):
    meeting_id: int


@dataclass(frozen=True)
class RatesFor(CallbackData, prefix="mt.rates"):
    branch_id: int


@dataclass(frozen=True)
class ChangeFor(CallbackData, prefix="mt.chg"):
    branch_id: int


@dataclass(frozen=True)
class ChangeMeeting(CallbackData, prefix="mt.chgm"):
    meeting_id: int


@dataclass(frozen=True)
class CancelMeeting(CallbackData, prefix="mt.cancel"):
    meeting_id: int


@dataclass(frozen=True)
class MoveMeeting(CallbackData, prefix="mt.move"):
    meeting_id: int


@dataclass(frozen=True)
class AttendancePage(CallbackData, prefix="mt.page"):
    meeting_id: int
    page: int


@dataclass(frozen=True)
class CycleAttendance(CallbackData, prefix="mt.cyc"):
    """One tap on a name in the bulk sheet: present → excused → absent → present."""

    meeting_id: int
    person_id: int
    page: int


@dataclass(frozen=True)
class AllPresent(CallbackData, prefix="mt.allp"):
    meeting_id: int
    page: int


@dataclass(frozen=True)
class AttendanceDone(CallbackData, prefix="mt.done"):
    meeting_id: int
