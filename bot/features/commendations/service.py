"""Commendations (khen thưởng, điển hình tiên tiến): the shortlist, proposals to the đảng ủy, awards by year.

The shortlist reads three other features through ``deps.ext.providers`` only: ``commended_deeds`` (deeds),
``pledge_results`` (pledges) and ``classification_results`` (classification); a missing one shows "chưa có".
The pool (docs/year-end.md §6): members whose level is in ``settings.commend_pool_levels`` (default HTXSNV)
and members with commended deeds or nominations. The branch proposes, the đảng ủy awards.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import local_today
from bot.features.commendations.models import CommendAward, CommendProposal, ProposalStatus
from bot.i18n import _
from bot.messages import Reply, esc
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.directory import active_members, committee_admin_ids, load_branch, manager_ids, org_branches
from bot.services.errors import Conflict, InvalidInput, NotFound
from bot.services.levels import LEVEL_KEYS, LEVELS
from bot.services.notify import notify
from bot.services.permissions import (
    require_award_recorder,
    require_commendation_proposer,
    require_org_admin,
)
from bot.text import branch_title
from storage.models.org import Branch, Organization

log = logging.getLogger("hocbac.commendations")

MAX_REASON = 2000
MAX_NAME = 200
MAX_COMMENT = 500

# Forms of award (local practice, docs/year-end.md §6 [S14]: a chi bộ "biểu dương", a đảng ủy "giấy khen",
# the level above "bằng khen"). Keys are stored; labels are shown.
AWARD_FORMS: dict[str, Callable[[], str]] = {
    "giay_khen": lambda: _("Certificate of merit"),
    "bang_khen": lambda: _("Diploma of merit"),
    "bieu_duong": lambda: _("Public praise"),
}


def award_label(key: str) -> str:
    fn = AWARD_FORMS.get(key)
    return fn() if fn else key


def status_label(status: str) -> str:
    return {
        ProposalStatus.SENT.value: _("sent, waiting for the Party committee"),
        ProposalStatus.AWARDED.value: _("awarded"),
        ProposalStatus.DECLINED.value: _("not awarded"),
    }.get(status, status)


def kind_label(kind: str) -> str:
    return _("collective") if kind == "collective" else _("individual")


def level_label(level: str | None) -> str:
    return LEVELS[level]() if level in LEVELS else _("not yet")


@dataclass
class ShortlistRow:
    person_id: int
    name: str
    level: str | None  # a level key, None when not classified (or no classification yet)
    pledge: tuple[bool, int, int] | None  # (approved, items done, items answered); None: no pledge / no data
    deeds: list[tuple[date, str]] = field(default_factory=list)
    in_pool: bool = False

    def pledge_text(self, known: bool) -> str:
        if not known:
            return _("not yet")
        if self.pledge is None:
            return _("no pledge")
        approved, done, answered = self.pledge
        head = _("approved") if approved else _("not approved")
        return _("{state}; check-ins: {done} of {answered} items done").format(
            state=head, done=done, answered=answered)

    def evidence(self, level_known: bool, pledge_known: bool) -> list[str]:
        """The records behind a proposal of this member, one line each (kept with the proposal)."""
        lines = [_("Classification: {level}").format(level=level_label(self.level))] if level_known else []
        if pledge_known:
            lines.append(_("Pledge: {state}").format(state=self.pledge_text(True)))
        lines += [_("Commended {day}: {text}").format(day=d.strftime("%d/%m/%Y"), text=t) for d, t in self.deeds]
        return lines


@dataclass
class Shortlist:
    branch: Branch
    year: int
    rows: list[ShortlistRow]
    level_known: bool
    pledge_known: bool

    def pool(self) -> list[ShortlistRow]:
        return [r for r in self.rows if r.in_pool]

    def row(self, person_id: int) -> ShortlistRow | None:
        return next((r for r in self.rows if r.person_id == person_id), None)


@dataclass
class BranchCount:
    branch_id: int
    name: str
    proposals: int
    awarded: int
    waiting: int


def pool_levels(deps: Deps) -> set[str]:
    return {k.strip() for k in deps.settings.commend_pool_levels.split(",") if k.strip() in LEVEL_KEYS}


async def chain_years(s: AsyncSession, award: CommendAward) -> int:
    """How many years running, up to ``award.year``, the same member (or the same collective of the branch)
    was awarded: 1 for a first award. Kept by year so "5 năm liền" can be shown."""
    q = select(CommendAward.year).where(CommendAward.kind == award.kind, CommendAward.year <= award.year)
    if award.kind == "individual":
        q = q.where(CommendAward.person_id == award.person_id)
    else:
        q = q.where(CommendAward.branch_id == award.branch_id, CommendAward.name == award.name)
    years = set((await s.execute(q)).scalars().all())
    n, y = 0, award.year
    while y in years:
        n, y = n + 1, y - 1
    return n


class CommendService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def year(self) -> int:
        return local_today(self.deps.clock).year

    async def _shortlist(self, s: AsyncSession, branch: Branch, year: int) -> Shortlist:
        providers = self.deps.ext.providers
        assert branch.id is not None
        levels = (await providers.classification_results(s, branch.id, year)
                  if providers.classification_results else {})
        pledges = await providers.pledge_results(s, branch.id, year) if providers.pledge_results else {}
        deeds = await providers.commended_deeds(s, branch.id, year) if providers.commended_deeds else {}
        pool = pool_levels(self.deps)
        rows = []
        for pid, name in await active_members(s, branch.id):
            row = ShortlistRow(pid, name, levels.get(pid), pledges.get(pid), deeds.get(pid, []))
            row.in_pool = row.level in pool or bool(row.deeds)
            rows.append(row)
        order = {k: i for i, k in enumerate(LEVEL_KEYS)}
        rows.sort(key=lambda r: (not r.in_pool, order.get(r.level or "", 9), -len(r.deeds), r.name))
        # "Xếp loại: chưa có" until the branch has results for the year (or without the classification feature)
        return Shortlist(branch, year, rows, bool(levels), providers.pledge_results is not None)

    async def _branch(self, s: AsyncSession, actor: Actor, branch_id: int) -> Branch:
        branch = await load_branch(s, branch_id)
        require_commendation_proposer(actor, branch.id, branch.org_id)  # type: ignore[arg-type]
        return branch

    async def shortlist(self, actor: Actor, branch_id: int, year: int | None = None) -> Shortlist:
        async with self.deps.db.session() as s:
            branch = await self._branch(s, actor, branch_id)
            return await self._shortlist(s, branch, year or self.year())

    async def propose(self, actor: Actor, branch_id: int, *, kind: str, reason: str, person_id: int | None = None,
                      name: str | None = None, year: int | None = None) -> CommendProposal:
        """Send a proposal to the đảng ủy; the committee admins of the đảng bộ are told."""
        year = year or self.year()
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput(_("Please write the reason for the proposal."))
        if len(reason) > MAX_REASON:
            raise InvalidInput(_("That is too long. Please shorten it."))
        if kind not in ("individual", "collective"):
            raise InvalidInput(_("Unknown kind of proposal."))
        async with self.deps.db.session() as s:
            branch = await self._branch(s, actor, branch_id)
            shortlist = await self._shortlist(s, branch, year)
            if kind == "individual":
                row = shortlist.row(person_id or 0)
                if row is None:
                    raise InvalidInput(_("That person is not an active member of the branch."))
                name, evidence = row.name, row.evidence(shortlist.level_known, shortlist.pledge_known)
            else:
                name = " ".join((name or "").split()) or branch_title(branch.name)
                if len(name) > MAX_NAME:
                    raise InvalidInput(_("That name is too long (at most {n} characters).").format(n=MAX_NAME))
                person_id = None
                pool = shortlist.pool()
                evidence = [_("Members on the shortlist: {n} of {total}").format(n=len(pool),
                                                                                  total=len(shortlist.rows))]
                evidence += [_("{name}: {n} commended deeds").format(name=r.name, n=len(r.deeds))
                             for r in pool if r.deeds]
            dup = (await s.execute(select(CommendProposal.id).where(
                CommendProposal.branch_id == branch.id, CommendProposal.year == year,
                CommendProposal.kind == kind, CommendProposal.name == name,
                CommendProposal.status != ProposalStatus.DECLINED.value))).first()
            if dup is not None:
                raise Conflict(_("{name} has already been proposed for {year}.").format(name=name, year=year))
            prop = CommendProposal(branch_id=branch.id, org_id=branch.org_id, year=year, kind=kind,  # type: ignore[arg-type]
                                   person_id=person_id, name=name, reason=reason, evidence=evidence,
                                   proposed_by=actor.person_id, created_at=self.deps.clock.now())
            s.add(prop)
            await s.flush()
            bname = branch.name

            def text() -> str:
                return _("🏅 <b>Commendation proposal</b> from {branch} ({year}): {kind} <b>{name}</b>.\n"
                         "Reason: {reason}\nTo record the award: /khenthuong").format(
                    branch=esc(branch_title(bname)), year=year, kind=kind_label(kind), name=esc(name),
                    reason=esc(reason))

            for admin_id in await committee_admin_ids(s, branch.org_id):
                await notify(s, self.deps, admin_id, kind="branch_news", key=f"commend_proposal:{prop.id}:{admin_id}",
                             render=lambda: Reply(text=text()), branch_id=branch.id)
            return prop

    async def _proposal(self, s: AsyncSession, actor: Actor, proposal_id: int) -> CommendProposal:
        prop = await s.get(CommendProposal, proposal_id)
        if prop is None:
            raise NotFound(_("That proposal no longer exists."))
        require_award_recorder(actor, prop.org_id)
        if prop.status != ProposalStatus.SENT.value:
            raise Conflict(_("This proposal was already decided: {status}.").format(status=status_label(prop.status)))
        return prop

    async def get_proposal(self, actor: Actor, proposal_id: int) -> CommendProposal:
        async with self.deps.db.session() as s:
            return await self._proposal(s, actor, proposal_id)

    async def _tell_branch(self, s: AsyncSession, prop: CommendProposal, text: Callable[[], str]) -> None:
        branch = await load_branch(s, prop.branch_id)
        for pid in {prop.proposed_by, *await manager_ids(s, branch)}:
            await notify(s, self.deps, pid, kind="branch_news", key=f"commend_decision:{prop.id}:{pid}",
                         render=lambda: Reply(text=text()), branch_id=branch.id)

    async def record_award(self, actor: Actor, proposal_id: int, form: str) -> CommendAward:
        if form not in AWARD_FORMS:
            raise InvalidInput(_("Please choose one of the options."))
        async with self.deps.db.session() as s:
            prop = await self._proposal(s, actor, proposal_id)
            now = self.deps.clock.now()
            prop.status, prop.decided_by, prop.decided_at = ProposalStatus.AWARDED.value, actor.person_id, now
            s.add(prop)
            award = CommendAward(org_id=prop.org_id, branch_id=prop.branch_id, year=prop.year, kind=prop.kind,
                                 person_id=prop.person_id, name=prop.name, form=form, proposal_id=prop.id,
                                 recorded_by=actor.person_id, recorded_at=now)
            s.add(award)
            await s.flush()
            chain = await chain_years(s, award)
            name, year = prop.name, prop.year

            def text() -> str:
                out = _("🏅 The Party committee awarded {name} ({year}): {form}.").format(
                    name=esc(name), year=year, form=award_label(form))
                if chain > 1:
                    out += " " + _("{n} years running.").format(n=chain)
                return out

            await self._tell_branch(s, prop, text)
            return award

    async def decline(self, actor: Actor, proposal_id: int, comment: str) -> CommendProposal:
        comment = " ".join((comment or "").split())
        if not comment:
            raise InvalidInput(_("Please write a short comment."))
        if len(comment) > MAX_COMMENT:
            raise InvalidInput(_("That is too long. Please shorten it."))
        async with self.deps.db.session() as s:
            prop = await self._proposal(s, actor, proposal_id)
            prop.status, prop.comment = ProposalStatus.DECLINED.value, comment
            prop.decided_by, prop.decided_at = actor.person_id, self.deps.clock.now()
            s.add(prop)
            name, year = prop.name, prop.year
            await self._tell_branch(s, prop, lambda: _(
                "The Party committee did not award {name} ({year}). Comment: {comment}").format(
                name=esc(name), year=year, comment=esc(comment)))
            return prop

    async def branch_proposals(self, actor: Actor, branch_id: int, year: int | None = None
                               ) -> tuple[Branch, list[CommendProposal]]:
        async with self.deps.db.session() as s:
            branch = await self._branch(s, actor, branch_id)
            rows = await s.execute(select(CommendProposal).where(
                CommendProposal.branch_id == branch_id, CommendProposal.year == (year or self.year()))
                .order_by(CommendProposal.kind, CommendProposal.id))
            return branch, list(rows.scalars().all())

    async def branch_awards(self, actor: Actor, branch_id: int) -> list[tuple[CommendAward, int]]:
        """Every award of the branch (its members and its collectives), newest year first, with its chain."""
        async with self.deps.db.session() as s:
            await self._branch(s, actor, branch_id)
            awards = (await s.execute(select(CommendAward).where(CommendAward.branch_id == branch_id)
                                      .order_by(CommendAward.year.desc(), CommendAward.name))).scalars().all()
            return [(a, await chain_years(s, a)) for a in awards]

    async def org_view(self, actor: Actor, org_id: int, year: int | None = None
                       ) -> tuple[Organization, list[BranchCount], list[CommendProposal], dict[int, str]]:
        """The committee's view: per branch, proposals and awards of the year; the proposals still waiting."""
        require_org_admin(actor, org_id, "commend.committee")
        year = year or self.year()
        async with self.deps.db.session() as s:
            org, branches = await org_branches(s, org_id)
            props = list((await s.execute(select(CommendProposal).where(
                CommendProposal.org_id == org_id, CommendProposal.year == year).order_by(CommendProposal.id))
                          ).scalars().all())
            awarded = Counter(a.branch_id for a in (await s.execute(select(CommendAward).where(
                CommendAward.org_id == org_id, CommendAward.year == year))).scalars())
            total = Counter(p.branch_id for p in props)
            waiting = Counter(p.branch_id for p in props if p.status == ProposalStatus.SENT.value)
            counts = [BranchCount(b.id, b.name, total[b.id], awarded[b.id], waiting[b.id])  # type: ignore[arg-type]
                      for b in branches]
            names = {b.id: b.name for b in branches}
            return org, counts, props, names  # type: ignore[return-value]
