"""Supervision visits: plan, record findings, conclude with tasks, remind, report fixed, close; the
committee's per-branch view. Every use case checks its role in bot/services/permissions.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import local_now, to_utc
from bot.features.supervision.models import (
    SupervisionItem,
    SupervisionTask,
    SupervisionVisit,
    TaskStatus,
    VisitStatus,
)
from bot.i18n import _
from bot.messages import Reply, esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.deps import Deps, Services
from bot.services.directory import committee_admin_ids, load_branch, manager_ids, org_branches
from bot.services.errors import InvalidInput, NotFound
from bot.services.notify import notify
from bot.services.permissions import (
    require_supervision_reader,
    require_supervisor,
    require_task_reporter,
)
from bot.services.when import show
from bot.text import branch_title, number
from storage.models.org import Branch, Organization

MAX_ITEMS = 15
MAX_TASKS = 10
REMIND_BEFORE_DAYS = 3  # a reminder 3 days before a task's deadline, and one on the day itself


def default_checklist() -> list[tuple[str, str]]:
    """The Directive 05 practice: (code, title). The code lets the bot pre-fill what it already knows."""
    return [
        ("plan", _("The branch registered its yearly plan")),
        ("pledges", _("Members registered their pledges")),
        ("meetings", _("Meetings were held")),
        ("deeds", _("Good deeds were reviewed")),
        ("materials", _("Meeting materials were used")),
    ]


def prefill_text(code: str | None, f: dict[str, float | int]) -> str | None:
    """What the bot already knows for a default item, from the branch's figures since 1 January."""
    if code == "pledges" and "pledged" in f:
        return _("{pledged} of {members} members registered, {approved} approved").format(
            pledged=number(f.get("pledged") or 0), members=number(f.get("members") or 0),
            approved=number(f.get("pledges_approved") or 0))
    if code == "meetings" and ("meetings_regular" in f or "meetings_thematic" in f):
        return _("{regular} regular and {thematic} thematic meetings this year").format(
            regular=number(f.get("meetings_regular") or 0), thematic=number(f.get("meetings_thematic") or 0))
    if code == "deeds" and "deeds_reported" in f:
        return _("{reported} good deeds reported, {accepted} accepted").format(
            reported=number(f.get("deeds_reported") or 0), accepted=number(f.get("deeds_accepted") or 0))
    return None


def result_word(passed: bool | None) -> str:
    if passed is None:
        return _("not recorded")
    return _("met") if passed else _("not met")


def task_status_word(status: str) -> str:
    return {TaskStatus.OPEN: _("task open"), TaskStatus.REPORTED: _("reported fixed"),
            TaskStatus.CLOSED: _("task closed")}.get(TaskStatus(status), status)


@dataclass
class VisitView:
    visit: SupervisionVisit
    branch_name: str
    org_name: str
    items: list[SupervisionItem]
    tasks: list[SupervisionTask]

    @property
    def unrecorded(self) -> list[SupervisionItem]:
        return [i for i in self.items if i.passed is None]


@dataclass
class BranchRow:
    branch_id: int
    name: str
    planned: int = 0
    done: int = 0
    not_met: int = 0  # findings "chưa đạt" in concluded visits whose tasks are not all closed
    open_tasks: int = 0
    overdue: int = 0
    visits: list[SupervisionVisit] = field(default_factory=list)


class SupervisionService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def _today(self) -> date:
        return local_now(self.deps.clock).date()

    # --- reads ----------------------------------------------------------------------------------------

    async def _view(self, s: AsyncSession, visit: SupervisionVisit) -> VisitView:
        branch = await load_branch(s, visit.branch_id)
        org = await s.get(Organization, visit.org_id)
        items = (await s.execute(select(SupervisionItem).where(SupervisionItem.visit_id == visit.id)
                                 .order_by(SupervisionItem.position))).scalars().all()
        tasks = (await s.execute(select(SupervisionTask).where(SupervisionTask.visit_id == visit.id)
                                 .order_by(SupervisionTask.id))).scalars().all()
        return VisitView(visit, branch.name, org.name if org else "", list(items), list(tasks))

    async def _visit(self, s: AsyncSession, visit_id: int) -> SupervisionVisit:
        visit = await s.get(SupervisionVisit, visit_id)
        if visit is None:
            raise NotFound(_("That supervision visit does not exist."))
        return visit

    async def org_branches(self, actor: Actor, org_id: int) -> list[tuple[int, str]]:
        require_supervisor(actor, org_id, "supervision.plan")
        async with self.deps.db.session() as s:
            rows = (await s.execute(select(Branch.id, Branch.name).where(Branch.org_id == org_id)
                                    .order_by(Branch.name))).all()
            return [(int(r[0]), str(r[1])) for r in rows]

    async def visit(self, actor: Actor, visit_id: int) -> VisitView:
        """The whole visit for the committee; the branch's secretary sees it once concluded."""
        async with self.deps.db.session() as s:
            visit = await self._visit(s, visit_id)
            require_supervision_reader(actor, visit.branch_id, visit.org_id)
            if visit.status != VisitStatus.CONCLUDED:
                require_supervisor(actor, visit.org_id, "supervision.read")
            return await self._view(s, visit)

    async def branch_visits(self, actor: Actor, branch_id: int) -> list[VisitView]:
        """The secretary's screen: the concluded visits of their branch, newest first."""
        async with self.deps.db.session() as s:
            branch = await load_branch(s, branch_id)
            require_supervision_reader(actor, branch.id, branch.org_id)
            visits = (await s.execute(select(SupervisionVisit).where(
                SupervisionVisit.branch_id == branch.id, SupervisionVisit.status == VisitStatus.CONCLUDED)
                .order_by(SupervisionVisit.planned_on.desc()))).scalars().all()
            return [await self._view(s, v) for v in visits]

    async def committee_view(self, actor: Actor, org_id: int) -> tuple[Organization, list[BranchRow]]:
        require_supervisor(actor, org_id, "supervision.committee")
        today = self._today()
        async with self.deps.db.session() as s:
            org, branches = await org_branches(s, org_id)
            rows = {b.id: BranchRow(int(b.id or 0), b.name) for b in branches}
            visits = (await s.execute(select(SupervisionVisit).where(SupervisionVisit.org_id == org_id)
                                      .order_by(SupervisionVisit.planned_on))).scalars().all()
            for v in visits:
                row = rows.get(v.branch_id)
                if row is None:
                    continue
                row.visits.append(v)
                if v.status == VisitStatus.CONCLUDED:
                    row.done += 1
                    view = await self._view(s, v)
                    if any(t.status != TaskStatus.CLOSED for t in view.tasks):
                        row.not_met += sum(1 for i in view.items if i.passed is False)
                    for t in view.tasks:
                        if t.status != TaskStatus.CLOSED:
                            row.open_tasks += 1
                            row.overdue += t.due_on < today and t.status == TaskStatus.OPEN
                else:
                    row.planned += 1
            return org, list(rows.values())

    # --- the committee's steps ------------------------------------------------------------------------

    async def plan(self, actor: Actor, branch_id: int, planned_on: date, team: str,
                   checklist: list[str] | None) -> SupervisionVisit:
        """Plan a visit with the committee's checklist (or the default one) and tell the branch."""
        team = team.strip()
        if not team:
            raise InvalidInput(_("Please name the members of the supervision team."))
        titles = [t.strip()[:300] for t in checklist or [] if t.strip()]
        if len(titles) > MAX_ITEMS:
            raise InvalidInput(_("A checklist holds at most {n} items.").format(n=MAX_ITEMS))
        items: list[tuple[str | None, str]] = (
            [(None, t) for t in titles] if titles else [(c, t) for c, t in default_checklist()])
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            branch = await load_branch(s, branch_id)
            require_supervisor(actor, branch.org_id, "supervision.plan")
            visit = SupervisionVisit(org_id=branch.org_id, branch_id=branch.id, planned_on=planned_on,
                                     team=team[:500])
            s.add(visit)
            await s.flush()
            for pos, (code, title) in enumerate(items):
                s.add(SupervisionItem(visit_id=visit.id, position=pos, title=title, code=code))
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="supervision.plan",
                               org_id=branch.org_id, branch_id=branch.id, target=f"visit:{visit.id}")
            for pid in await manager_ids(s, branch):
                await notify(s, self.deps, pid, kind="supervision_planned",
                             key=f"supervision:planned:{visit.id}:{pid}",
                             render=partial(_planned_text, branch.name, planned_on, visit.team, [t for _c, t in items]),
                             branch_id=branch.id)
            await s.flush()
            await s.refresh(visit)
            return visit

    async def start_recording(self, actor: Actor, visit_id: int) -> VisitView:
        """Open the findings form: pre-fill the items the bot can answer from the branch's figures."""
        async with self.deps.db.session() as s:
            visit = await self._visit(s, visit_id)
            require_supervisor(actor, visit.org_id, "supervision.record")
            if visit.status != VisitStatus.PLANNED:
                raise InvalidInput(_("This visit is already concluded; its findings cannot change."))
            view = await self._view(s, visit)
            if any(i.code and i.prefill is None for i in view.items):
                tz = self.deps.clock.tz
                start = to_utc(datetime(self._today().year, 1, 1), tz)
                figures = await self.deps.ext.branch_figures(s, self.deps, visit.branch_id, start,
                                                             self.deps.clock.now())
                for item in view.items:
                    if item.code and item.prefill is None:
                        item.prefill = prefill_text(item.code, figures)
                        s.add(item)
                await s.flush()
            return view

    async def record_finding(self, actor: Actor, item_id: int, passed: bool, comment: str | None,
                             evidence_text: str | None, evidence_media_key: str | None) -> SupervisionItem:
        async with self.deps.db.session() as s:
            item = await s.get(SupervisionItem, item_id)
            if item is None:
                raise NotFound(_("That checklist item does not exist."))
            visit = await self._visit(s, item.visit_id)
            require_supervisor(actor, visit.org_id, "supervision.record")
            if visit.status != VisitStatus.PLANNED:
                raise InvalidInput(_("This visit is already concluded; its findings cannot change."))
            item.passed, item.comment = passed, (comment or None)
            item.evidence_text, item.evidence_media_key = evidence_text or None, evidence_media_key
            item.recorded_at = self.deps.clock.now()
            s.add(item)
            await s.flush()
            await s.refresh(item)
            return item

    async def conclude(self, actor: Actor, visit_id: int, conclusions: str,
                       tasks: list[tuple[str, date]]) -> VisitView:
        """Conclusions and tasks to fix, each with a deadline; the branch is told."""
        if len(tasks) > MAX_TASKS:
            raise InvalidInput(_("At most {n} tasks per visit.").format(n=MAX_TASKS))
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            visit = await self._visit(s, visit_id)
            require_supervisor(actor, visit.org_id, "supervision.conclude")
            if visit.status != VisitStatus.PLANNED:
                raise InvalidInput(_("This visit is already concluded; its findings cannot change."))
            view = await self._view(s, visit)
            if view.unrecorded:
                raise InvalidInput(_("Record a finding for every checklist item first ({n} left).").format(
                    n=len(view.unrecorded)))
            visit.conclusions = conclusions.strip()[:3000]
            visit.status, visit.concluded_at = VisitStatus.CONCLUDED, now
            s.add(visit)
            for text, due in tasks:
                s.add(SupervisionTask(visit_id=visit.id, branch_id=visit.branch_id, text=text[:1000], due_on=due))
            await s.flush()
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="supervision.conclude",
                               org_id=visit.org_id, branch_id=visit.branch_id, target=f"visit:{visit.id}",
                               details={"tasks": len(tasks)})
            view = await self._view(s, visit)
            branch = await load_branch(s, visit.branch_id)
            for pid in await manager_ids(s, branch):
                await notify(s, self.deps, pid, kind="supervision_conclusions",
                             key=f"supervision:concluded:{visit.id}:{pid}",
                             render=partial(conclusions_text, view), branch_id=branch.id)
            await s.flush()
            return view

    async def close_task(self, actor: Actor, task_id: int) -> SupervisionTask:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            task = await self._task(s, task_id)
            visit = await self._visit(s, task.visit_id)
            require_supervisor(actor, visit.org_id, "supervision.close_task")
            if task.status == TaskStatus.CLOSED:
                raise InvalidInput(_("This task is already closed."))
            task.status, task.closed_at = TaskStatus.CLOSED, now
            s.add(task)
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="supervision.close_task",
                               org_id=visit.org_id, branch_id=visit.branch_id, target=f"task:{task.id}")
            branch = await load_branch(s, visit.branch_id)
            for pid in await manager_ids(s, branch):
                await notify(s, self.deps, pid, kind="supervision_task_closed",
                             key=f"supervision:closed:{task.id}:{pid}",
                             render=partial(_closed_text, task.text), branch_id=branch.id)
            await s.flush()
            await s.refresh(task)
            return task

    # --- the branch's step ----------------------------------------------------------------------------

    async def _task(self, s: AsyncSession, task_id: int) -> SupervisionTask:
        task = await s.get(SupervisionTask, task_id)
        if task is None:
            raise NotFound(_("That task does not exist."))
        return task

    async def task(self, actor: Actor, task_id: int) -> SupervisionTask:
        async with self.deps.db.session() as s:
            task = await self._task(s, task_id)
            branch = await load_branch(s, task.branch_id)
            require_supervision_reader(actor, branch.id, branch.org_id)
            return task

    async def report_fixed(self, actor: Actor, task_id: int, text: str | None,
                           media_key: str | None) -> SupervisionTask:
        if not (text or media_key):
            raise InvalidInput(_("Please give the evidence: a few words or a photo."))
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            task = await self._task(s, task_id)
            require_task_reporter(actor, task.branch_id)
            if task.status == TaskStatus.CLOSED:
                raise InvalidInput(_("This task is already closed."))
            task.status, task.reported_at = TaskStatus.REPORTED, now
            task.report_text, task.report_media_key = text or None, media_key
            s.add(task)
            branch = await load_branch(s, task.branch_id)
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="supervision.task_fixed",
                               org_id=branch.org_id, branch_id=branch.id, target=f"task:{task.id}")
            for pid in await committee_admin_ids(s, branch.org_id):
                await notify(s, self.deps, pid, kind="supervision_task_reported",
                             key=f"supervision:reported:{task.id}:{now.isoformat()}:{pid}",
                             render=partial(_reported_text, branch.name, task.text, text),
                             branch_id=branch.id)
            await s.flush()
            await s.refresh(task)
            return task


# --- texts ---------------------------------------------------------------------------------------------

def _planned_text(branch_name: str, day: date, team: str, titles: list[str]) -> Reply:
    lines = [_("🔎 <b>Supervision visit planned</b> for {branch} on {day}.").format(
        branch=esc(branch_title(branch_name)), day=show(day)),
        _("Team: {team}").format(team=esc(team)), _("The checklist:")]
    lines += [f"{n}. {esc(t)}" for n, t in enumerate(titles, 1)]
    lines.append(_("Please prepare the branch's records, comrade."))
    return Reply("\n".join(lines))


def tasks_lines(tasks: list[SupervisionTask]) -> list[str]:
    return [_("{n}. {text} (deadline {due}; {status})").format(
        n=n, text=esc(t.text), due=show(t.due_on), status=task_status_word(t.status))
        for n, t in enumerate(tasks, 1)]


def conclusions_text(view: VisitView) -> Reply:
    v = view.visit
    lines = [_("🔎 <b>Conclusions of the supervision visit</b> to {branch} on {day}").format(
        branch=esc(branch_title(view.branch_name)), day=show(v.planned_on)), esc(v.conclusions or "")]
    failed = [i for i in view.items if i.passed is False]
    if failed:
        lines.append(_("Not met:"))
        lines += [f"• {esc(i.title)}" + (f": {esc(i.comment)}" if i.comment else "") for i in failed]
    if view.tasks:
        lines.append(_("Tasks to fix:"))
        lines += tasks_lines(view.tasks)
        lines.append(_("Send /giamsat to report a task fixed, with its evidence."))
    return Reply("\n".join(lines))


def _reminder_text(branch_name: str, text: str, due: date, days_left: int) -> Reply:
    when = _("today") if days_left <= 0 else _("in {n} days").format(n=days_left)
    return Reply(_("⏰ A task from the supervision visit to {branch} is due {when} ({due}): {text}\n"
                   "Send /giamsat to report it fixed.").format(
        branch=esc(branch_title(branch_name)), when=when, due=show(due), text=esc(text)))


def _reported_text(branch_name: str, task: str, evidence: str | None) -> Reply:
    return Reply(_("✅ {branch} reports a task fixed: {task}").format(
        branch=esc(branch_title(branch_name)), task=esc(task))
        + (f"\n{esc(evidence)}" if evidence else "") + "\n" + _("Send /giamsat to close it."))


def _closed_text(task: str) -> Reply:
    return Reply(_("🔒 The Party committee closed the task: {task}").format(task=esc(task)))


# --- the reminders tick ----------------------------------------------------------------------------------

async def task_reminders(services: Services, now: datetime, since: datetime | None) -> None:
    """Reminders to the branch before each open task's deadline: 3 days before and on the day. A tick
    that missed its day catches up with the latest stage due (never both); the outbox key keeps it once."""
    deps = services.deps
    today = now.astimezone(deps.clock.tz).date()
    async with deps.db.session() as s:
        tasks = (await s.execute(select(SupervisionTask).where(
            SupervisionTask.status == TaskStatus.OPEN, SupervisionTask.due_on >= today,
            SupervisionTask.due_on <= today + timedelta(days=REMIND_BEFORE_DAYS)))).scalars().all()
        for task in tasks:
            stage = "due" if task.due_on == today else "before"
            branch = await load_branch(s, task.branch_id)
            for pid in await manager_ids(s, branch):
                await notify(s, deps, pid, kind="supervision_task_reminder",
                             key=f"supervision:remind:{task.id}:{stage}:{pid}",
                             render=partial(_reminder_text, branch.name, task.text, task.due_on,
                                            (task.due_on - today).days),
                             branch_id=branch.id,
                             expires_at=to_utc(datetime.combine(task.due_on + timedelta(days=1),
                                                                datetime.min.time()), deps.clock.tz))
        await s.flush()


async def _org_views(s: AsyncSession, svc: SupervisionService, org_id: int) -> list[VisitView]:
    visits = (await s.execute(select(SupervisionVisit).where(SupervisionVisit.org_id == org_id)
                              .order_by(SupervisionVisit.planned_on, SupervisionVisit.id))).scalars().all()
    return [await svc._view(s, v) for v in visits]


async def org_visits(svc: SupervisionService, actor: Actor, org_id: int) -> list[VisitView]:
    """Every visit of the đảng bộ with its findings and tasks (the workbook): the committee only."""
    require_supervisor(actor, org_id, "supervision.export")
    async with svc.deps.db.session() as s:
        return await _org_views(s, svc, org_id)
