"""Emulation projects: the committee's call, registration, milestones with evidence, confirmation,
appraisal and commendation, the counts per branch and category, and the workbook.

Every use case checks its role in ``bot.services.permissions``; every message to someone else goes through
``notify`` under a unique key (a repeated action never sends twice)."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import local_today
from bot.features.emulation.callbacks import ConfirmMilestone, ReportMilestone
from bot.features.emulation.models import (
    EmulationCall,
    EmulationMilestone,
    EmulationProject,
    MilestoneStatus,
    ProjectStatus,
)
from bot.i18n import _
from bot.messages import Button, MediaRef, Reply, esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.directory import load_branch, managed_branch, reviewer_ids, seated_manager_ids
from bot.services.errors import Conflict, InvalidInput, NotFound
from bot.services.notify import notify
from bot.services.permissions import (
    can_confirm_milestone,
    require_emulation_committee,
    require_emulation_owner,
    require_emulation_registrant,
    require_milestone_confirmer,
)
from bot.services.sheets import Sheet, xlsx_bytes
from bot.services.when import show
from bot.text import fold
from storage.models.org import Branch, Organization
from storage.models.people import Person

log = logging.getLogger("hocbac.emulation")

MAX_MILESTONES = 10
REMIND_DAYS_BEFORE = 3  # the first reminder: three days before a milestone; the second on the day


def default_categories() -> list[str]:
    """The five kinds a call starts with (the committee may type its own list instead)."""
    return [_("Project"), _("Piece of work"), _("Model"), _("Initiative"), _("Concrete task")]


def status_label(status: str) -> str:
    return {
        ProjectStatus.REGISTERED.value: _("in progress"),
        ProjectStatus.PASSED.value: _("appraised as passed"),
        ProjectStatus.FAILED.value: _("appraised as not passed"),
        MilestoneStatus.PLANNED.value: _("not reported yet"),
        MilestoneStatus.REPORTED.value: _("waiting for the secretary"),
        MilestoneStatus.CONFIRMED.value: _("confirmed"),
    }.get(status, status)


@dataclass
class Overview:
    org_name: str
    call: EmulationCall | None
    branches: list[tuple[int, str]]
    counts: Counter[tuple[int, str]] = field(default_factory=Counter)
    without_project: list[str] = field(default_factory=list)
    overdue: list[tuple[EmulationProject, str, int]] = field(default_factory=list)  # project, branch, n late


class EmulationService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @property
    def today(self) -> date:
        return local_today(self.deps.clock)

    # --- the call ---------------------------------------------------------------------------------------

    async def open_call(self, actor: Actor, org_id: int, *, title: str, deadline: date, criteria: str,
                        categories: list[str]) -> EmulationCall:
        require_emulation_committee(actor, org_id, "emulation_open_call")
        title = " ".join(title.split())
        cats = list(dict.fromkeys(c.strip() for c in categories if c.strip()))
        if not title or not cats:
            raise InvalidInput(_("A call needs a title and at least one category."))
        if deadline < self.today:
            raise InvalidInput(_("The deadline has already passed. Please choose a later day."))
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            call = EmulationCall(org_id=org_id, title=title[:200], criteria=criteria[:2000], deadline=deadline,
                                 categories=cats, opened_by=actor.person_id, created_at=now)
            s.add(call)
            await s.flush()
            branches = (await s.execute(select(Branch).where(Branch.org_id == org_id))).scalars().all()
            for branch in branches:
                for pid in await seated_manager_ids(s, branch.id or 0):
                    await notify(s, self.deps, pid, kind="emulation_news", key=f"emu:call:{call.id}:{pid}",
                                 branch_id=branch.id, render=_call_notice(call))
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="emulation.call",
                               org_id=org_id, target=f"emulation_call:{call.id}")
            return call

    async def _latest_call(self, s: AsyncSession, org_id: int) -> EmulationCall | None:
        return (await s.execute(select(EmulationCall).where(EmulationCall.org_id == org_id)
                                .order_by(EmulationCall.id.desc()).limit(1))).scalars().first()  # type: ignore[union-attr]

    async def open_call_for(self, actor: Actor, branch_id: int) -> EmulationCall:
        """The call a member of ``branch_id`` registers under; refused politely when none or it is late."""
        require_emulation_registrant(actor, branch_id, by_branch=False)
        async with self.deps.db.session() as s:
            branch = await load_branch(s, branch_id)
            call = await self._latest_call(s, branch.org_id)
        if call is None:
            raise NotFound(_("The Party committee has not opened a call for emulation projects yet."))
        self._check_deadline(call)
        return call

    def _check_deadline(self, call: EmulationCall) -> None:
        if self.today > call.deadline:
            raise Conflict(_("Registration for “{title}” closed on {day}. Sorry, comrade: a late project "
                             "cannot be registered.").format(title=call.title, day=show(call.deadline)))

    # --- registration -----------------------------------------------------------------------------------

    async def register(self, actor: Actor, branch_id: int, call_id: int, *, by_branch: bool, name: str,
                       category: str, goal: str, criteria: str,
                       milestones: list[tuple[date, str]]) -> EmulationProject:
        require_emulation_registrant(actor, branch_id, by_branch=by_branch)
        name = " ".join(name.split())
        if not name:
            raise InvalidInput(_("The project needs a name."))
        if not milestones or len(milestones) > MAX_MILESTONES:
            raise InvalidInput(_("Please give between 1 and {n} milestones.").format(n=MAX_MILESTONES))
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            branch = await load_branch(s, branch_id)
            call = await s.get(EmulationCall, call_id)
            if call is None or call.org_id != branch.org_id:
                raise NotFound(_("That call does not exist."))
            self._check_deadline(call)
            if category not in call.categories:
                raise InvalidInput(_("Please choose one of the call's categories."))
            key = fold(name)[:200]
            dup = (await s.execute(select(EmulationProject.name).where(
                EmulationProject.call_id == call.id, EmulationProject.branch_id == branch_id,
                EmulationProject.name_key == key))).first()
            if dup is not None:
                raise Conflict(_("The branch has already registered a project named “{name}” in this call.")
                               .format(name=dup[0]))  # as first registered; the dispatcher escapes
            project = EmulationProject(call_id=call.id or 0, org_id=branch.org_id, branch_id=branch_id,
                                       owner_id=actor.person_id, by_branch=by_branch, name=name[:200],
                                       name_key=key, category=category, goal=goal[:1000],
                                       criteria=criteria[:1000], created_at=now)
            s.add(project)
            await s.flush()
            for i, (due, title) in enumerate(sorted(milestones)):
                s.add(EmulationMilestone(project_id=project.id or 0, position=i + 1, title=title[:300], due=due))
            owner = actor.display_name
            for pid in await seated_manager_ids(s, branch_id):
                if pid != actor.person_id:
                    await notify(s, self.deps, pid, kind="emulation_news", key=f"emu:reg:{project.id}:{pid}",
                                 branch_id=branch_id, render=_registered_notice(project, owner))
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="emulation.register",
                               org_id=branch.org_id, branch_id=branch_id, target=f"emulation_project:{project.id}")
            return project

    async def my_projects(self, actor: Actor) -> list[tuple[EmulationProject, list[EmulationMilestone]]]:
        async with self.deps.db.session() as s:
            projects = (await s.execute(select(EmulationProject).where(EmulationProject.owner_id == actor.person_id)
                                        .order_by(EmulationProject.id))).scalars().all()
            return [(p, await _milestones(s, p.id or 0)) for p in projects]

    # --- milestones -------------------------------------------------------------------------------------

    async def reportable(self, actor: Actor, milestone_id: int) -> tuple[EmulationMilestone, EmulationProject]:
        async with self.deps.db.session() as s:
            m, p = await _load_milestone(s, milestone_id)
            require_emulation_owner(actor, p.owner_id, p.branch_id)
            if m.status == MilestoneStatus.CONFIRMED.value:
                raise Conflict(_("This milestone has already been confirmed by the secretary."))
            if p.status != ProjectStatus.REGISTERED.value:
                raise Conflict(_("This project has already been appraised."))
            return m, p

    async def report(self, actor: Actor, milestone_id: int, *, text: str, link: str | None,
                     media: list[dict[str, Any]]) -> EmulationMilestone:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            m, p = await _load_milestone(s, milestone_id)
            require_emulation_owner(actor, p.owner_id, p.branch_id)
            if m.status == MilestoneStatus.CONFIRMED.value:
                raise Conflict(_("This milestone has already been confirmed by the secretary."))
            if p.status != ProjectStatus.REGISTERED.value:
                raise Conflict(_("This project has already been appraised."))
            m.status, m.evidence_text, m.evidence_link = MilestoneStatus.REPORTED.value, text[:2000], link
            m.evidence, m.reported_at = list(media), now
            s.add(m)
            branch = await load_branch(s, p.branch_id)
            stamp = now.strftime("%Y%m%d%H%M%S")
            for pid in await reviewer_ids(s, branch, p.owner_id):
                await notify(s, self.deps, pid, kind="emulation_news", key=f"emu:rep:{m.id}:{stamp}:{pid}",
                             branch_id=p.branch_id, render=_reported_notice(m, p, actor.display_name))
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="emulation.report",
                               org_id=p.org_id, branch_id=p.branch_id, target=f"emulation_milestone:{m.id}")
            return m

    async def pending_confirmations(self, actor: Actor, branch_id: int) -> list[tuple[EmulationMilestone,
                                                                                     EmulationProject]]:
        async with self.deps.db.session() as s:
            branch = await managed_branch(s, actor, branch_id, "emulation_pending")
            rows = (await s.execute(
                select(EmulationMilestone, EmulationProject)
                .join(EmulationProject, EmulationProject.id == EmulationMilestone.project_id)
                .where(EmulationProject.branch_id == branch_id,
                       EmulationMilestone.status == MilestoneStatus.REPORTED.value)
                .order_by(EmulationMilestone.reported_at))).all()
            return [(m, p) for m, p in rows
                    if can_confirm_milestone(actor, branch.id or 0, branch.org_id, p.owner_id)]

    async def confirm(self, actor: Actor, milestone_id: int) -> tuple[EmulationMilestone, EmulationProject]:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            m, p = await _load_milestone(s, milestone_id)
            require_milestone_confirmer(actor, p.branch_id, p.org_id, p.owner_id)
            if m.status == MilestoneStatus.CONFIRMED.value:
                raise Conflict(_("This milestone has already been confirmed."))
            if m.status != MilestoneStatus.REPORTED.value:
                raise Conflict(_("This milestone has not been reported yet."))
            m.status, m.confirmed_by, m.confirmed_at = MilestoneStatus.CONFIRMED.value, actor.person_id, now
            s.add(m)
            await notify(s, self.deps, p.owner_id, kind="emulation_news", key=f"emu:ok:{m.id}",
                         branch_id=p.branch_id, render=_confirmed_notice(m, p))
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="emulation.confirm",
                               org_id=p.org_id, branch_id=p.branch_id, target=f"emulation_milestone:{m.id}")
            return m, p

    # --- the committee ----------------------------------------------------------------------------------

    async def to_appraise(self, actor: Actor, org_id: int) -> list[tuple[EmulationProject, str,
                                                                         list[EmulationMilestone]]]:
        require_emulation_committee(actor, org_id, "emulation_appraise_list")
        async with self.deps.db.session() as s:
            rows = (await s.execute(
                select(EmulationProject, Branch.name).join(Branch, Branch.id == EmulationProject.branch_id)
                .where(EmulationProject.org_id == org_id,
                       EmulationProject.status == ProjectStatus.REGISTERED.value)
                .order_by(EmulationProject.id))).all()
            return [(p, n, await _milestones(s, p.id or 0)) for p, n in rows]

    async def appraise(self, actor: Actor, project_id: int, verdict: str, comment: str) -> EmulationProject:
        if verdict not in (ProjectStatus.PASSED.value, ProjectStatus.FAILED.value):
            raise InvalidInput(_("Please choose passed or not passed."))
        comment = " ".join(comment.split())
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            p = await _load_project(s, project_id)
            require_emulation_committee(actor, p.org_id, "emulation_appraise")
            if p.status != ProjectStatus.REGISTERED.value:
                raise Conflict(_("This project has already been appraised ({status}).").format(
                    status=status_label(p.status)))
            p.status, p.appraisal, p.appraised_by, p.appraised_at = verdict, comment[:1000], actor.person_id, now
            s.add(p)
            for pid in await _concerned(s, p):
                await notify(s, self.deps, pid, kind="emulation_news", key=f"emu:apr:{p.id}:{pid}",
                             branch_id=p.branch_id, render=_appraised_notice(p))
            await audit.record(s, at=now, actor_person_id=actor.person_id, action=f"emulation.{verdict}",
                               org_id=p.org_id, branch_id=p.branch_id, target=f"emulation_project:{p.id}")
            return p

    async def appraisable(self, actor: Actor, project_id: int) -> EmulationProject:
        async with self.deps.db.session() as s:
            p = await _load_project(s, project_id)
            require_emulation_committee(actor, p.org_id, "emulation_appraise")
            if p.status != ProjectStatus.REGISTERED.value:
                raise Conflict(_("This project has already been appraised ({status}).").format(
                    status=status_label(p.status)))
            return p

    async def commend(self, actor: Actor, project_id: int) -> EmulationProject:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            p = await _load_project(s, project_id)
            require_emulation_committee(actor, p.org_id, "emulation_commend")
            if p.status != ProjectStatus.PASSED.value:
                raise Conflict(_("Only a project that passed the appraisal can be commended."))
            if p.commended:
                raise Conflict(_("This project has already been commended."))
            p.commended = True
            s.add(p)
            for pid in await _concerned(s, p):
                await notify(s, self.deps, pid, kind="emulation_news", key=f"emu:star:{p.id}:{pid}",
                             branch_id=p.branch_id, render=_commended_notice(p))
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="emulation.commend",
                               org_id=p.org_id, branch_id=p.branch_id, target=f"emulation_project:{p.id}")
            return p

    async def overview(self, actor: Actor, org_id: int) -> Overview:
        """Counts per branch and category of the latest call, the branches with no project and the projects
        with a milestone past its day and not reported."""
        require_emulation_committee(actor, org_id, "emulation_overview")
        today = self.today
        async with self.deps.db.session() as s:
            org = await s.get(Organization, org_id)
            call = await self._latest_call(s, org_id)
            branches = [(b.id or 0, b.name) for b in (await s.execute(
                select(Branch).where(Branch.org_id == org_id).order_by(Branch.id))).scalars().all()]
            ov = Overview(org.name if org else "", call, branches)
            if call is None:
                return ov
            projects = (await s.execute(select(EmulationProject).where(EmulationProject.call_id == call.id)
                                        .order_by(EmulationProject.id))).scalars().all()
            names = dict(branches)
            for p in projects:
                ov.counts[(p.branch_id, p.category)] += 1
                if p.status == ProjectStatus.REGISTERED.value:
                    late = [m for m in await _milestones(s, p.id or 0)
                            if m.status == MilestoneStatus.PLANNED.value and m.due < today]
                    if late:
                        ov.overdue.append((p, names.get(p.branch_id, "?"), len(late)))
            having = {p.branch_id for p in projects}
            ov.without_project = [n for bid, n in branches if bid not in having]
            return ov

    async def workbook(self, actor: Actor, org_id: int) -> tuple[bytes, str, list[int]]:
        """The workbook, its file name and the branches whose people it names (erasure deletes it)."""
        ov = await self.overview(actor, org_id)
        call = ov.call
        if call is None:
            raise NotFound(_("The Party committee has not opened a call for emulation projects yet."))
        async with self.deps.db.session() as s:
            rows = (await s.execute(
                select(EmulationProject, Branch.name, Person.display_name)
                .join(Branch, Branch.id == EmulationProject.branch_id)
                .join(Person, Person.id == EmulationProject.owner_id)
                .where(EmulationProject.call_id == call.id).order_by(Branch.id, EmulationProject.id))).all()
            stones = {p.id: await _milestones(s, p.id or 0) for p, _b, _o in rows}
        cats = call.categories
        summary = [[i, name, *[ov.counts.get((bid, c), 0) for c in cats], sum(ov.counts.get((bid, c), 0) for c in cats)]
                   for i, (bid, name) in enumerate(ov.branches, 1)]
        summary.append(["", _("Total"), *[sum(ov.counts.get((bid, c), 0) for bid, _n in ov.branches) for c in cats],
                        sum(ov.counts.values())])
        projects = [[i, bname, p.name, p.category, _("the branch") if p.by_branch else _("a group of members"), owner,
                     p.goal, p.criteria, status_label(p.status), p.appraisal or "", _("yes") if p.commended else ""]
                    for i, (p, bname, owner) in enumerate(rows, 1)]
        milestones = [[bname, p.name, m.position, m.title, m.due, status_label(m.status), m.evidence_text or "",
                       m.evidence_link or "", len(m.evidence)]
                      for p, bname, _o in rows for m in stones[p.id]]
        data = xlsx_bytes([
            Sheet(_("Summary"), [_("No."), _("Branch"), *cats, _("Total")], summary),
            Sheet(_("Projects"), [_("No."), _("Branch"), _("Project"), _("Category"), _("Registered by"),
                                  _("Owner"), _("Goal"), _("Criteria"), _("Result"), _("Appraisal comments"),
                                  _("Commended")], projects, wrap=True),
            Sheet(_("Milestones"), [_("Branch"), _("Project"), _("No."), _("Milestone"), _("Day"), _("Status"),
                                    _("Milestone evidence"), _("Link"), _("Files")], milestones, wrap=True),
        ])
        return data, f"cong-trinh-thi-dua-{call.deadline.year}.xlsx", [bid for bid, _n in ov.branches]


# --- reads ------------------------------------------------------------------------------------------------


async def _milestones(s: AsyncSession, project_id: int) -> list[EmulationMilestone]:
    return list((await s.execute(select(EmulationMilestone).where(EmulationMilestone.project_id == project_id)
                                 .order_by(EmulationMilestone.position))).scalars().all())


async def _load_project(s: AsyncSession, project_id: int) -> EmulationProject:
    p = await s.get(EmulationProject, project_id)
    if p is None:
        raise NotFound(_("That project does not exist."))
    return p


async def _load_milestone(s: AsyncSession, milestone_id: int) -> tuple[EmulationMilestone, EmulationProject]:
    m = await s.get(EmulationMilestone, milestone_id)
    if m is None:
        raise NotFound(_("That milestone does not exist."))
    return m, await _load_project(s, m.project_id)


async def _concerned(s: AsyncSession, p: EmulationProject) -> list[int]:
    """Who is told of an appraisal: the owner and the branch's secretaries."""
    return list(dict.fromkeys([p.owner_id, *await seated_manager_ids(s, p.branch_id)]))


# --- what is sent (rendered in the recipient's language by notify) -----------------------------------------


def _call_notice(call: EmulationCall) -> Any:
    def render() -> Reply:
        return Reply(_("🏁 <b>The Party committee opened a call for emulation projects</b>: {title}\n"
                       "Categories: {cats}\nRegistration closes on {day}.\nCriteria: {criteria}\n\n"
                       "Branches and groups of members register with /congtrinh.").format(
            title=esc(call.title), cats=esc(", ".join(call.categories)), day=show(call.deadline),
            criteria=esc(call.criteria or "—")))
    return render


def _registered_notice(p: EmulationProject, owner: str) -> Any:
    def render() -> Reply:
        return Reply(_("📝 New emulation project registered by {owner}: <b>{name}</b> ({category}).").format(
            owner=esc(owner), name=esc(p.name), category=esc(p.category)))
    return render


def _reported_notice(m: EmulationMilestone, p: EmulationProject, owner: str) -> Any:
    def render() -> Reply:
        text = _("📎 {owner} reported a milestone of <b>{name}</b>: {title} (due {day}).\n{evidence}").format(
            owner=esc(owner), name=esc(p.name), title=esc(m.title), day=show(m.due),
            evidence=esc(m.evidence_text or ""))
        if m.evidence_link:
            text += "\n🔗 " + esc(m.evidence_link)
        media = MediaRef.from_dict(m.evidence[0]) if m.evidence else None
        return Reply(text, [[Button(_("✅ Confirm"), ConfirmMilestone(m.id or 0).pack())]], media=media)
    return render


def _confirmed_notice(m: EmulationMilestone, p: EmulationProject) -> Any:
    def render() -> Reply:
        return Reply(_("✅ The secretary confirmed the milestone “{title}” of <b>{name}</b>.").format(
            title=esc(m.title), name=esc(p.name)))
    return render


def _appraised_notice(p: EmulationProject) -> Any:
    def render() -> Reply:
        head = (_("🏅 The Party committee appraised <b>{name}</b>: passed.") if p.status == ProjectStatus.PASSED.value
                else _("The Party committee appraised <b>{name}</b>: not passed."))
        return Reply(head.format(name=esc(p.name)) + "\n" + _("Comments: {comment}").format(
            comment=esc(p.appraisal or "—")))
    return render


def _commended_notice(p: EmulationProject) -> Any:
    def render() -> Reply:
        return Reply(_("🌟 The Party committee commended the emulation project <b>{name}</b>. Congratulations, "
                       "comrades!").format(name=esc(p.name)))
    return render


def reminder_notice(m: EmulationMilestone, p: EmulationProject, today: date) -> Any:
    def render() -> Reply:
        text = (_("⏰ Today is the day of the milestone “{title}” of <b>{name}</b>.") if m.due == today
                else _("⏰ The milestone “{title}” of <b>{name}</b> is due on {day}."))
        text = text.format(title=esc(m.title), name=esc(p.name), day=show(m.due))
        text += "\n" + _("Report what was done, with a photo or a document, when it is ready.")
        return Reply(text, [[Button(_("📎 Report this milestone"), ReportMilestone(m.id or 0).pack())]])
    return render
