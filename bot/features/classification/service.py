"""The branch's year-end classification: proposals, the checks before the meeting, the vote, the result.

Every use case checks who may act (``bot.services.permissions``): a manager of the member's branch proposes,
never for themself (a secretary's own level is proposed by the deputy or the committee); the đảng ủy's
committee admins confirm a branch's results. Other features' data comes through ``deps.ext.providers``
(self-assessment, year file, votes); each may be missing and the screens say "chưa có".
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import local_now
from bot.features.classification import rules
from bot.features.classification.models import ClassificationProposal, ClassificationSettings
from bot.i18n import _
from bot.messages import Reply, esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.directory import active_member_ids, active_members, committee_admin_ids, managed_branch
from bot.services.errors import Conflict, InvalidInput, NotFound
from bot.services.levels import DEFAULT_EXCELLENT_CAP_PERCENT, LEVELS
from bot.services.notify import notify
from bot.services.permissions import require_classification_confirmer, require_classifier
from storage.models.org import Branch
from storage.models.people import Person

log = logging.getLogger("hocbac.classification")

COMMENT_MAX = 2000
REASON_MAX = 1000
# Counted in the cap and the summary: a saved proposal, whatever happened after.
COUNTED = ("proposed", "voting", "voted", "confirmed")
# A vote is opened at the branch's meeting starting or started this close to now.
MEETING_WINDOW = timedelta(hours=12)


def vote_options() -> list[str]:
    return [_("Agree with the proposed level"), _("Do not agree with the proposed level"), _("Abstain")]


@dataclass
class MemberRow:
    person_id: int
    name: str
    proposal: ClassificationProposal | None
    self_level: str | None = None


@dataclass
class Overview:
    branch: Branch
    year: int
    rows: list[MemberRow]
    cap: rules.CapState
    settings: ClassificationSettings


@dataclass
class MemberCard:
    branch: Branch
    year: int
    person_id: int
    name: str
    proposal: ClassificationProposal | None
    self_assessment: dict[str, Any] | None
    year_file: list[str] | None
    cap: rules.CapState
    warnings: list[str] = field(default_factory=list)


def status_word(p: ClassificationProposal | None) -> str:
    """Vietnamese status word of a member's proposal (lists and papers)."""
    if p is None:
        return _("not proposed")
    return {
        "draft": _("not proposed (draft kept)"),
        "proposed": _("proposed"),
        "voting": _("vote open"),
        "voted": _("voted"),
        "confirmed": _("result confirmed"),
    }[p.status]


class Classification:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def now(self) -> datetime:
        return self.deps.clock.now()

    def year(self) -> int:
        return local_now(self.deps.clock).year

    # --- reads ------------------------------------------------------------------------------------------

    async def _settings(self, s: AsyncSession, branch_id: int) -> ClassificationSettings:
        return await s.get(ClassificationSettings, branch_id) or ClassificationSettings(
            branch_id=branch_id, excellent_cap_percent=DEFAULT_EXCELLENT_CAP_PERCENT)

    async def _proposals(self, s: AsyncSession, branch_id: int, year: int) -> dict[int, ClassificationProposal]:
        rows = await s.execute(select(ClassificationProposal).where(
            ClassificationProposal.branch_id == branch_id, ClassificationProposal.year == year))
        return {p.person_id: p for p in rows.scalars()}

    async def _cap(self, s: AsyncSession, branch_id: int, year: int,
                   override: tuple[int, str] | None = None) -> rules.CapState:
        props = await self._proposals(s, branch_id, year)
        levels = {pid: p.level for pid, p in props.items() if p.status in COUNTED and p.level}
        if override is not None:
            levels[override[0]] = override[1]
        settings = await self._settings(s, branch_id)
        return rules.cap_state(levels, settings.excellent_cap_percent)

    async def _self_assessment(self, s: AsyncSession, person_id: int, year: int) -> dict[str, Any] | None:
        fn = self.deps.ext.providers.self_assessment
        return await fn(s, person_id, year) if fn is not None else None

    async def _year_file(self, s: AsyncSession, person_id: int, branch_id: int, year: int) -> list[str] | None:
        fn = self.deps.ext.providers.year_file_summary
        return await fn(s, person_id, branch_id, year) if fn is not None else None

    async def overview(self, actor: Actor, branch_id: int) -> Overview:
        year = self.year()
        async with self.deps.db.session() as s:
            branch = await managed_branch(s, actor, branch_id, "classification_view")
            props = await self._proposals(s, branch_id, year)
            rows = []
            for pid, name in await active_members(s, branch_id):
                sa = await self._self_assessment(s, pid, year)
                rows.append(MemberRow(pid, name, props.get(pid), (sa or {}).get("level")))
            return Overview(branch, year, rows, await self._cap(s, branch_id, year), await self._settings(s, branch_id))

    async def _member(self, s: AsyncSession, branch_id: int, person_id: int) -> Person:
        person = await s.get(Person, person_id)
        if person is None or person_id not in await active_member_ids(s, branch_id):
            raise NotFound(_("That member is not in this branch."))
        return person

    async def card(self, actor: Actor, branch_id: int, person_id: int, level: str | None = None) -> MemberCard:
        """The secretary's view of one member: self-assessment, year file, proposal and the warnings."""
        year = self.year()
        async with self.deps.db.session() as s:
            branch = await managed_branch(s, actor, branch_id, "classification_view")
            person = await self._member(s, branch_id, person_id)
            props = await self._proposals(s, branch_id, year)
            p = props.get(person_id)
            sa = await self._self_assessment(s, person_id, year)
            yf = await self._year_file(s, person_id, branch_id, year)
            level = level or (p.level if p else None)
            cap = await self._cap(s, branch_id, year, (person_id, level) if level else None)
            warn = rules.warnings(level, sa, yf, cap) if level else []
            return MemberCard(branch, year, person_id, person.display_name, p, sa, yf, cap, warn)

    async def check_proposer(self, actor: Actor, branch_id: int, person_id: int) -> None:
        """Before the form opens: a forged button stops here, and nobody proposes for themself."""
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                raise NotFound(_("That branch does not exist."))
            require_classifier(actor, branch.id, branch.org_id, person_id, "classification_propose")
            await self._member(s, branch_id, person_id)

    # --- proposing --------------------------------------------------------------------------------------

    async def save_draft(self, actor: Actor, branch_id: int, person_id: int, data: dict[str, Any]) -> bool:
        """Keep a half-done proposal (the form was left): nothing typed is lost. False if nothing to keep."""
        if not any(data.get(k) for k in ("level", "points", "comment", "reason")):
            return False
        year = self.year()
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                return False
            require_classifier(actor, branch.id, branch.org_id, person_id, "classification_draft")
            p = (await self._proposals(s, branch_id, year)).get(person_id)
            if p is not None and p.status != "draft":
                return False  # a saved proposal stays as saved; the half-done change is dropped
            p = p or ClassificationProposal(org_id=branch.org_id, branch_id=branch_id, person_id=person_id,
                                            year=year)
            level = data.get("level")
            p.level = level if level in LEVELS else p.level
            p.points = data.get("points") if isinstance(data.get("points"), int) else p.points
            p.comment = str(data.get("comment") or p.comment or "")[:COMMENT_MAX]
            p.cap_reason = data.get("reason") or p.cap_reason
            p.updated_at = self.now()
            s.add(p)
            return True

    async def draft(self, actor: Actor, branch_id: int, person_id: int) -> dict[str, Any]:
        """The kept draft's answers, to resume the form where it was left."""
        await self.check_proposer(actor, branch_id, person_id)
        async with self.deps.db.session() as s:
            p = (await self._proposals(s, branch_id, self.year())).get(person_id)
            if p is None or p.status != "draft":
                return {}
            out: dict[str, Any] = {}
            if p.level:
                out["level"] = p.level
            if p.points is not None:
                out["points"] = p.points
            if p.comment:
                out["comment"] = p.comment
            return out

    async def validate(self, actor: Actor, branch_id: int, person_id: int, level: str, points: int | None,
                       reason: str | None) -> MemberCard:
        """The checks of a proposal before it is saved (refusals raise); returns the card with warnings."""
        rules.check_level(level)
        rules.check_points(level, points)
        await self.check_proposer(actor, branch_id, person_id)
        c = await self.card(actor, branch_id, person_id, level)
        rules.check_cap(c.cap, level, reason)
        return c

    async def propose(self, actor: Actor, branch_id: int, person_id: int, level: str, points: int | None,
                      comment: str, reason: str | None = None) -> ClassificationProposal:
        """Save the branch's proposal for a member and lock their self-assessment (no more withdrawing)."""
        rules.check_level(level)
        rules.check_points(level, points)
        comment = comment.strip()
        if not comment:
            raise Conflict(_("Please write a comment for the member."))
        now, year = self.now(), self.year()
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                raise NotFound(_("That branch does not exist."))
            require_classifier(actor, branch.id, branch.org_id, person_id, "classification_propose")
            await self._member(s, branch_id, person_id)
            rules.check_cap(await self._cap(s, branch_id, year, (person_id, level)), level, reason)
            p = (await self._proposals(s, branch_id, year)).get(person_id)
            if p is not None and (p.status in ("voting", "confirmed") or (p.status == "voted" and p.vote_passed)):
                raise Conflict(_("The branch has already voted on this member's level (or the vote is open)."))
            p = p or ClassificationProposal(org_id=branch.org_id, branch_id=branch_id, person_id=person_id,
                                            year=year)
            p.status, p.level, p.points, p.comment = "proposed", level, points, comment[:COMMENT_MAX]
            # A vote that did not pass leaves the branch to propose again, and vote again.
            p.vote_id = p.vote_counts = p.vote_present = p.vote_members = p.vote_passed = p.vote_line = None
            p.voted_at = None
            p.cap_reason = (reason or "").strip()[:REASON_MAX] or None
            p.proposed_by, p.proposed_at, p.updated_at = actor.person_id, now, now
            s.add(p)
            lock = self.deps.ext.providers.lock_self_assessment
            if lock is not None:
                await lock(s, person_id, year, now)
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="classification.propose",
                               org_id=branch.org_id, branch_id=branch_id, target=f"person:{person_id}",
                               details={"level": level, "year": year, "above_cap": bool(p.cap_reason)})
            return p

    # --- the vote ---------------------------------------------------------------------------------------

    async def _proposal_for_manager(self, s: AsyncSession, actor: Actor, proposal_id: int,
                                    action: str) -> ClassificationProposal:
        p = await s.get(ClassificationProposal, proposal_id)
        if p is None:
            raise NotFound(_("That classification proposal no longer exists."))
        require_classifier(actor, p.branch_id, p.org_id, p.person_id, action)
        return p

    async def _meeting_now(self, s: AsyncSession, branch_id: int) -> int | None:
        """The branch's meeting nearest now within ``MEETING_WINDOW`` (the meetings feature's provider)."""
        recent = self.deps.ext.providers.recent_meetings
        if recent is None:
            return None
        now = self.now()
        near = [(abs(now - at), mid) for mid, at in await recent(s, branch_id, now + MEETING_WINDOW)
                if abs(now - at) <= MEETING_WINDOW]
        return min(near)[1] if near else None

    async def open_vote(self, actor: Actor, proposal_id: int) -> ClassificationProposal:
        """Open the meeting's vote on a proposal (the votes feature sends each present member a ballot)."""
        open_vote = self.deps.ext.providers.open_meeting_vote
        if open_vote is None:
            raise Conflict(_("Votes at meetings are not available yet."))
        now = self.now()
        async with self.deps.db.session() as s:
            p = await self._proposal_for_manager(s, actor, proposal_id, "classification_vote")
            if p.status != "proposed" or not p.level:
                raise Conflict(_("Only a saved proposal can be put to the vote."))
            rules.check_cap(await self._cap(s, p.branch_id, p.year), p.level, p.cap_reason)
            meeting_id = await self._meeting_now(s, p.branch_id)
            if meeting_id is None:
                raise Conflict(_("There is no meeting of the branch today: the vote is held at a meeting. "
                                 "Schedule one with /hop."))
            person = await s.get(Person, p.person_id)
            name = person.display_name if person else "?"
            settings = await self._settings(s, p.branch_id)
            question = _("Year-end classification {year}: comrade {name}, proposed level “{level}”").format(
                year=p.year, name=name, level=LEVELS[p.level]())
            p.vote_id = await open_vote(s, self.deps, meeting_id, actor.person_id, question, vote_options(),
                                        settings.anonymous, f"classification:{p.id}")
            p.status, p.updated_at = "voting", now
            s.add(p)
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="classification.vote_open",
                               org_id=p.org_id, branch_id=p.branch_id, target=f"proposal:{p.id}")
            return p

    async def proposal(self, actor: Actor, proposal_id: int) -> ClassificationProposal:
        async with self.deps.db.session() as s:
            return await self._proposal_for_manager(s, actor, proposal_id, "classification_vote")

    async def vote_state(self, actor: Actor, proposal_id: int) -> dict[str, Any] | None:
        fn = self.deps.ext.providers.vote_result
        async with self.deps.db.session() as s:
            p = await self._proposal_for_manager(s, actor, proposal_id, "classification_vote")
            if fn is None or p.vote_id is None:
                return None
            return await fn(s, p.vote_id)

    async def record_vote(self, actor: Actor, proposal_id: int) -> ClassificationProposal:
        """Record a closed vote's counts; the member and the committee are told (it stays a proposal for the
        đảng ủy to decide, docs/year-end.md §1.6)."""
        fn = self.deps.ext.providers.vote_result
        now = self.now()
        async with self.deps.db.session() as s:
            p = await self._proposal_for_manager(s, actor, proposal_id, "classification_vote")
            if p.status != "voting" or p.vote_id is None or fn is None:
                raise Conflict(_("No vote is open on this proposal."))
            result = await fn(s, p.vote_id)
            if result is None or not result.get("closed"):
                raise Conflict(_("The vote is still open: close it first, then record the result."))
            counts = [*(int(c) for c in result.get("counts") or []), 0, 0, 0]
            members = int(result.get("members") or 0)
            passed = result.get("passed")
            if passed is None:  # more than half of the branch's members (docs/year-end.md §3)
                passed = counts[0] * 2 > members
            p.vote_counts, p.vote_present, p.vote_members = counts[:3], int(result.get("present") or 0), members
            p.vote_passed, p.vote_line = bool(passed), str(result.get("result_line") or "")[:500]
            p.status, p.voted_at, p.updated_at = "voted", now, now
            s.add(p)
            branch = await s.get(Branch, p.branch_id)
            assert branch is not None
            await self._tell(s, p, branch)
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="classification.vote_result",
                               org_id=p.org_id, branch_id=p.branch_id, target=f"proposal:{p.id}",
                               details={"counts": p.vote_counts, "passed": p.vote_passed})
            return p

    async def _tell(self, s: AsyncSession, p: ClassificationProposal, branch: Branch) -> None:
        person = await s.get(Person, p.person_id)
        name = person.display_name if person else "?"
        level = LEVELS[p.level or "done"]
        counts = p.vote_counts or [0, 0, 0]
        nonce = secrets.token_hex(3)

        def to_member() -> Reply:
            verdict = _("passed") if p.vote_passed else _("not passed")
            return Reply(text=_(
                "📋 <b>Year-end classification {year}</b>\nThe branch proposed for you: <b>{level}</b>.\n"
                "Comment: {comment}\nVote: agree {a}, disagree {d}, abstain {n} ({verdict}).\n"
                "The Party committee decides the final level."
            ).format(year=p.year, level=level(), comment=esc(p.comment), a=counts[0], d=counts[1], n=counts[2],
                     verdict=verdict))

        def to_committee() -> Reply:
            verdict = _("passed") if p.vote_passed else _("not passed")
            return Reply(text=_(
                "📋 {branch}: comrade {name}, proposed level <b>{level}</b>; vote: agree {a}, disagree {d}, "
                "abstain {n} ({verdict}). Send /xeploai to see the branch's summary."
            ).format(branch=esc(branch.name), name=esc(name), level=level(), a=counts[0], d=counts[1],
                     n=counts[2], verdict=verdict))

        await notify(s, self.deps, p.person_id, kind="classification_result", render=to_member,
                     key=f"classification_result:{p.id}:{nonce}", branch_id=p.branch_id)
        for admin_id in await committee_admin_ids(s, branch.org_id):
            await notify(s, self.deps, admin_id, kind="classification_committee", render=to_committee,
                         key=f"classification_committee:{p.id}:{admin_id}:{nonce}", branch_id=p.branch_id)

    # --- settings ---------------------------------------------------------------------------------------

    async def settings(self, actor: Actor, branch_id: int) -> ClassificationSettings:
        async with self.deps.db.session() as s:
            await managed_branch(s, actor, branch_id, "classification_settings")
            return await self._settings(s, branch_id)

    async def update_settings(self, actor: Actor, branch_id: int, *, cap_percent: int | None = None,
                              toggle_anonymous: bool = False) -> ClassificationSettings:
        if cap_percent is not None and not 0 <= cap_percent <= 100:
            raise InvalidInput(_("The cap is a percentage from 0 to 100."))
        now = self.now()
        async with self.deps.db.session() as s:
            branch = await managed_branch(s, actor, branch_id, "classification_settings")
            row = await self._settings(s, branch_id)
            if cap_percent is not None:
                row.excellent_cap_percent = cap_percent
            if toggle_anonymous:
                row.anonymous = not row.anonymous
            row.updated_at, row.updated_by = now, actor.person_id
            s.add(row)
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="classification.settings",
                               org_id=branch.org_id, branch_id=branch_id,
                               details={"cap": row.excellent_cap_percent, "anonymous": row.anonymous})
            return row

    # --- the committee ----------------------------------------------------------------------------------

    async def org_branches(self, actor: Actor, org_id: int) -> tuple[list[tuple[Branch, int, int]], rules.CapState]:
        """The đảng bộ's branches: (branch, members, voted or confirmed results), and the cap counted over the
        whole đảng bộ (docs/year-end.md §1.5: the cap is over the tổ chức cơ sở đảng, the committee enforces it)."""
        require_classification_confirmer(actor, org_id, "classification_view")
        year = self.year()
        async with self.deps.db.session() as s:
            branches = (await s.execute(select(Branch).where(Branch.org_id == org_id).order_by(Branch.name))
                        ).scalars().all()
            out = []
            levels: dict[int, str] = {}
            for b in branches:
                props = await self._proposals(s, b.id or 0, year)
                done = sum(p.status in ("voted", "confirmed") for p in props.values())
                out.append((b, len(await active_member_ids(s, b.id or 0)), done))
                levels.update({pid: p.level for pid, p in props.items() if p.status in COUNTED and p.level})
            return out, rules.cap_state(levels, DEFAULT_EXCELLENT_CAP_PERCENT)

    async def confirm_branch(self, actor: Actor, branch_id: int) -> int:
        """The đảng ủy confirms the branch's voted results (their own đảng bộ only). Returns how many."""
        now, year = self.now(), self.year()
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                raise NotFound(_("That branch does not exist."))
            require_classification_confirmer(actor, branch.org_id)
            n = 0
            for p in (await self._proposals(s, branch_id, year)).values():
                if p.status == "voted" and p.vote_passed:
                    p.status, p.confirmed_by, p.confirmed_at, p.updated_at = "confirmed", actor.person_id, now, now
                    s.add(p)
                    n += 1
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="classification.confirm",
                               org_id=branch.org_id, branch_id=branch_id, details={"confirmed": n, "year": year})
            return n


async def classification_results(s: AsyncSession, branch_id: int, year: int) -> dict[int, str]:
    """The provider: {person_id: level} of the branch's results after the vote (passed votes)."""
    rows = await s.execute(select(ClassificationProposal).where(
        ClassificationProposal.branch_id == branch_id, ClassificationProposal.year == year,
        ClassificationProposal.status.in_(("voted", "confirmed"))))  # type: ignore[attr-defined]
    return {p.person_id: p.level for p in rows.scalars() if p.vote_passed and p.level}
