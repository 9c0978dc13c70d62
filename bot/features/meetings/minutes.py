"""Meetings: the minutes (biên bản) — what the bot knows of a meeting, plus what the secretary adds in chat.

The bot already knows the date, place, agenda, documents, attendance (three states with reasons) and, through
the votes feature's ``meeting_votes`` provider, the votes. The secretary adds who chaired and who took the
minutes, the guests, the discussion, the conclusions, the closing time and the tasks (owner, deadline). Each
of those is saved the moment it is typed (``MeetingMinutes``), so a half-done draft is never lost.

Tasks live in ``MinutesTask``: ``minutes_tasks.py`` reminds their owners and brings the open ones back at the
branch's next meeting ("việc cần kiểm tra").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc
from bot.features.meetings.access import MeetingUseCase
from bot.features.meetings.models import Attendance, Meeting, MeetingMinutes, MeetingRsvp, MinutesTask
from bot.features.meetings.rates import expected_members
from bot.i18n import _
from bot.services import audit
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.directory import active_member_ids, active_members, load_branch, managed_branch
from bot.services.errors import InvalidInput, NotFound
from bot.services.permissions import require_task_closer
from bot.services.when import show
from storage.models.org import Branch, Organization
from storage.models.people import Person

TextField = Literal["guests", "discussion", "conclusions", "closing_time"]
PersonField = Literal["chair", "recorder"]
TEXT_LIMITS: dict[str, int] = {"guests": 1000, "discussion": 8000, "conclusions": 8000, "closing_time": 5}
TASK_TEXT_MAX = 1000
TASK_AHEAD_DAYS = 366  # a task's deadline within a year of today
# Meetings offered for minutes: those begun (or about to begin: minutes are taken during the meeting).
OFFER_AHEAD = timedelta(hours=12)
OFFER_LIMIT = 6

Status = Literal["present", "excused", "absent"]


@dataclass(frozen=True, slots=True)
class Attendee:
    person_id: int
    name: str
    status: Status
    reason: str


@dataclass(frozen=True, slots=True)
class TaskLine:
    id: int
    text: str
    owner_id: int
    owner: str
    due: date
    done: bool
    meeting_day: date  # the day of the meeting that assigned it


@dataclass
class MinutesView:
    """Everything the minutes show, read in one session: for the chat screen and the .docx."""

    meeting_id: int
    branch_id: int
    org_name: str
    branch_name: str
    kind: str
    starts_local: datetime
    place: str
    topic: str
    documents: list[str]
    attendees: list[Attendee]
    chair: str
    recorder: str
    guests: str
    discussion: str
    conclusions: str
    closing_time: str
    votes: list[tuple[str, str]] | None  # None: the votes feature is not installed
    tasks: list[TaskLine]
    checks: list[TaskLine]  # open tasks of the branch's earlier meetings
    today: date
    exported: bool = False
    marked: bool = True  # the secretary marked the attendance (else everyone is read from their RSVP alone)
    counts: dict[str, int] = field(default_factory=dict)

    def of(self, status: Status) -> list[Attendee]:
        return [a for a in self.attendees if a.status == status]


def _state(row: Attendance | None, rsvp: MeetingRsvp | None) -> tuple[Status, str]:
    """One member's attendance: the secretary's mark (three states with a reason) when there is one; without
    a mark, a member who told the branch they could not come is excused with the reason they gave, and anyone
    else unmarked is absent."""
    said_no = rsvp is not None and not rsvp.attending
    rsvp_reason = (rsvp.reason or "") if said_no and rsvp is not None else ""
    if row is not None:
        status: Status = row.status if row.status in ("excused", "absent") else (  # type: ignore[assignment]
            "present" if row.present else "absent")
        return status, "" if status == "present" else (row.reason or rsvp_reason)
    if said_no:
        return "excused", rsvp_reason
    return "absent", ""


async def attendees(s: AsyncSession, m: Meeting) -> list[Attendee]:
    expected = await expected_members(s, m)
    if not expected:
        return []
    people = (await s.execute(select(Person).where(Person.id.in_(expected)).order_by(Person.display_name))
              ).scalars().all()
    marks = {a.person_id: a for a in (await s.execute(select(Attendance).where(Attendance.meeting_id == m.id)))
             .scalars().all()}
    rsvps = {r.person_id: r for r in (await s.execute(select(MeetingRsvp).where(MeetingRsvp.meeting_id == m.id)))
             .scalars().all()}
    out = []
    for p in people:
        assert p.id is not None
        status, reason = _state(marks.get(p.id), rsvps.get(p.id))
        out.append(Attendee(p.id, p.display_name, status, reason))
    return out


async def _names(s: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await s.execute(select(Person.id, Person.display_name).where(Person.id.in_(ids)))
    return {int(pid): name for pid, name in rows.all()}


async def task_lines(s: AsyncSession, tasks: list[MinutesTask], tz: Any) -> list[TaskLine]:
    names = await _names(s, {t.owner_id for t in tasks})
    days: dict[int, date] = {}
    for mid in {t.meeting_id for t in tasks}:
        m = await s.get(Meeting, mid)
        if m is not None:
            days[mid] = as_utc(m.starts_at).astimezone(tz).date()
    return [TaskLine(t.id or 0, t.text, t.owner_id, names.get(t.owner_id, ""), t.due, t.done_at is not None,
                     days.get(t.meeting_id, t.due)) for t in tasks]


async def open_checks(s: AsyncSession, branch_id: int, before: datetime, tz: Any) -> list[TaskLine]:
    """Open tasks assigned at the branch's meetings that began before ``before``: "việc cần kiểm tra"."""
    rows = (await s.execute(
        select(MinutesTask).join(Meeting, Meeting.id == MinutesTask.meeting_id)
        .where(MinutesTask.branch_id == branch_id, MinutesTask.done_at.is_(None), Meeting.starts_at < before)
        .order_by(MinutesTask.due, MinutesTask.id)
    )).scalars().all()
    return await task_lines(s, list(rows), tz)


async def _draft(s: AsyncSession, m: Meeting, now: datetime) -> MeetingMinutes:
    row = (await s.execute(select(MeetingMinutes).where(MeetingMinutes.meeting_id == m.id))).scalar_one_or_none()
    if row is None:
        row = MeetingMinutes(meeting_id=m.id, branch_id=m.branch_id, updated_at=now)
        s.add(row)
        await s.flush()
    return row


async def build_view(s: AsyncSession, deps: Deps, m: Meeting, branch: Branch, draft: MeetingMinutes) -> MinutesView:
    tz = deps.clock.tz
    org = await s.get(Organization, branch.org_id)
    people = await attendees(s, m)
    names = await _names(s, {pid for pid in (draft.chair_id, draft.recorder_id) if pid is not None})
    provider = deps.ext.providers.meeting_votes
    votes = await provider(s, m.id) if provider is not None and m.id is not None else None
    tasks = (await s.execute(select(MinutesTask).where(MinutesTask.meeting_id == m.id)
                             .order_by(MinutesTask.id))).scalars().all()
    starts = as_utc(m.starts_at)
    view = MinutesView(
        meeting_id=m.id or 0, branch_id=branch.id or 0, org_name=org.name if org else "", branch_name=branch.name,
        kind=m.kind, starts_local=starts.astimezone(tz), place=m.place, topic=m.topic,
        documents=[d.get("file_name") or _("attached file") for d in (m.documents or [])],
        attendees=people, chair=names.get(draft.chair_id or 0, ""), recorder=names.get(draft.recorder_id or 0, ""),
        guests=draft.guests, discussion=draft.discussion, conclusions=draft.conclusions,
        closing_time=draft.closing_time, votes=list(votes) if votes is not None else None,
        tasks=await task_lines(s, list(tasks), tz), checks=await open_checks(s, branch.id or 0, starts, tz),
        today=deps.clock.now().astimezone(tz).date(), exported=draft.exported_at is not None,
        marked=(await s.execute(select(Attendance.id).where(Attendance.meeting_id == m.id).limit(1))).first()
        is not None,
    )
    view.counts = {status: len(view.of(status)) for status in ("present", "excused", "absent")}
    return view


class MeetingMinutesService(MeetingUseCase):
    """The secretary's minutes of a meeting: every verb checks that the actor manages the meeting's branch."""

    async def meetings(self, actor: Actor, branch_id: int) -> list[Meeting]:
        """The branch's latest meetings that have begun (or begin within hours), newest first."""
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            await managed_branch(s, actor, branch_id, "minutes.read")
            return list((await s.execute(
                select(Meeting).where(Meeting.branch_id == branch_id, Meeting.cancelled_at.is_(None),
                                      Meeting.starts_at <= now + OFFER_AHEAD)
                .order_by(Meeting.starts_at.desc()).limit(OFFER_LIMIT)
            )).scalars().all())

    async def view(self, actor: Actor, meeting_id: int) -> MinutesView:
        """The draft (started on first open) with what the bot knows."""
        async with self.deps.db.session() as s:
            m, branch = await self._meeting(s, actor, meeting_id, "minutes.draft")
            draft = await _draft(s, m, self.deps.clock.now())
            return await build_view(s, self.deps, m, branch, draft)

    async def members(self, actor: Actor, meeting_id: int) -> list[tuple[int, str]]:
        """Who may chair, take the minutes or own a task: the branch's active members, by name."""
        async with self.deps.db.session() as s:
            m, _branch = await self._meeting(s, actor, meeting_id, "minutes.draft")
            return await active_members(s, m.branch_id)

    async def set_person(self, actor: Actor, meeting_id: int, which: PersonField, person_id: int) -> None:
        async with self.deps.db.session() as s:
            m, _branch = await self._meeting(s, actor, meeting_id, "minutes.draft")
            if person_id not in await active_member_ids(s, m.branch_id):
                raise NotFound(_("That person is not a member of this branch."))
            draft = await _draft(s, m, self.deps.clock.now())
            if which == "chair":
                draft.chair_id = person_id
            else:
                draft.recorder_id = person_id
            self._touch(draft, actor)
            s.add(draft)

    async def set_text(self, actor: Actor, meeting_id: int, which: TextField, text: str) -> None:
        text = (text or "").strip()
        limit = TEXT_LIMITS[which]
        if len(text) > limit:
            raise InvalidInput(_("That is too long ({length} characters). Please keep it within {n} characters.")
                               .format(length=len(text), n=limit))
        async with self.deps.db.session() as s:
            m, _branch = await self._meeting(s, actor, meeting_id, "minutes.draft")
            draft = await _draft(s, m, self.deps.clock.now())
            setattr(draft, which, text)
            self._touch(draft, actor)
            s.add(draft)

    def _touch(self, draft: MeetingMinutes, actor: Actor) -> None:
        draft.updated_by, draft.updated_at = actor.person_id, self.deps.clock.now()

    async def add_task(self, actor: Actor, meeting_id: int, text: str, owner_id: int, due: date) -> MinutesTask:
        text = " ".join((text or "").split())
        if not text:
            raise InvalidInput(_("The task is empty. Please type it."))
        if len(text) > TASK_TEXT_MAX:
            raise InvalidInput(_("That is too long ({length} characters). Please keep it within {n} characters.")
                               .format(length=len(text), n=TASK_TEXT_MAX))
        today = self.deps.clock.now().astimezone(self.deps.clock.tz).date()
        if due < today or due > today + timedelta(days=TASK_AHEAD_DAYS):
            raise InvalidInput(_("The deadline must be between today and a year from now."))
        from bot.features.meetings.minutes_tasks import notify_assigned

        async with self.deps.db.session() as s:
            m, branch = await self._meeting(s, actor, meeting_id, "minutes.task")
            if owner_id not in await active_member_ids(s, m.branch_id):
                raise NotFound(_("That person is not a member of this branch."))
            draft = await _draft(s, m, self.deps.clock.now())
            self._touch(draft, actor)
            s.add(draft)
            task = MinutesTask(meeting_id=m.id or 0, branch_id=m.branch_id, text=text, owner_id=owner_id, due=due,
                               created_by=actor.person_id, created_at=self.deps.clock.now())
            s.add(task)
            await s.flush()
            await audit.record(s, at=self.deps.clock.now(), actor_person_id=actor.person_id,
                               action="minutes.task", org_id=branch.org_id, branch_id=branch.id,
                               target=f"minutes_task:{task.id}")
            await notify_assigned(s, self.deps, task, m)
            return task

    async def remove_task(self, actor: Actor, task_id: int) -> int:
        """Removes a task from the minutes; returns its meeting's id."""
        async with self.deps.db.session() as s:
            task = await s.get(MinutesTask, task_id)
            if task is None:
                raise NotFound(_("That task no longer exists."))
            await self._meeting(s, actor, task.meeting_id, "minutes.task")
            await s.delete(task)
            return task.meeting_id

    async def export(self, actor: Actor, meeting_id: int) -> tuple[bytes, str, int]:
        """The minutes as .docx (bytes, file name, branch id), for the secretary to finish and sign."""
        from bot.features.meetings.minutes_doc import minutes_docx

        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            m, branch = await self._meeting(s, actor, meeting_id, "minutes.export")
            draft = await _draft(s, m, now)
            view = await build_view(s, self.deps, m, branch, draft)
            draft.exported_at = now
            s.add(draft)
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="minutes.export",
                               org_id=branch.org_id, branch_id=branch.id, target=f"meeting:{m.id}")
        return minutes_docx(view), f"bien-ban-{view.starts_local.strftime('%d-%m-%Y')}.docx", view.branch_id


class MinutesTasks:
    """A member's own tasks from the minutes (/viec) and marking one done."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def mine(self, actor: Actor) -> list[TaskLine]:
        async with self.deps.db.session() as s:
            rows = (await s.execute(
                select(MinutesTask).where(MinutesTask.owner_id == actor.person_id, MinutesTask.done_at.is_(None))
                .order_by(MinutesTask.due, MinutesTask.id)
            )).scalars().all()
            return await task_lines(s, list(rows), self.deps.clock.tz)

    async def done(self, actor: Actor, task_id: int) -> tuple[TaskLine, bool]:
        """(the task, whether this press closed it: False when it was already done)."""
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            task = await s.get(MinutesTask, task_id)
            if task is None:
                raise NotFound(_("That task no longer exists."))
            branch = await load_branch(s, task.branch_id)
            require_task_closer(actor, task.owner_id, branch.id or 0, branch.org_id, "minutes.task_done")
            closed = task.done_at is None
            if closed:
                task.done_at, task.done_by = now, actor.person_id
                s.add(task)
            line = (await task_lines(s, [task], self.deps.clock.tz))[0]
            return line, closed


def task_due_text(line: TaskLine, today: date) -> str:
    """"hạn 05/12/2026" with "(quá hạn)" once it has passed; for chat lines."""
    text = _("due {date}").format(date=show(line.due))
    if not line.done and line.due < today:
        text += " " + _("(overdue)")
    return text
