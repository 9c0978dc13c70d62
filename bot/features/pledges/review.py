"""Pledges: the secretary approves or returns a submitted pledge, and sees the branch's status."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select, update

from bot.features.pledges.access import PledgeUseCase
from bot.features.pledges.callbacks import PledgeDraft
from bot.features.pledges.models import Pledge, PledgeCheckin, PledgeCheckinRound, PledgeStatus, PledgeVersion
from bot.features.pledges.reads import branch_pledges, branch_settings, counts_as_pledged, pledge_content
from bot.features.pledges.validation import check_field
from bot.i18n import _
from bot.messages import Button, Reply, esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.directory import active_members
from bot.services.errors import Conflict
from bot.services.notify import notify
from bot.services.permissions import can_review_item
from storage.models.people import Person

log = logging.getLogger("hocbac.pledges")


def _reviewer_name(role: str) -> str:
    """Who approved a pledge, as the approval notice names them (its own call: rendered per recipient)."""
    if role == "secretary":
        return _("the secretary")
    if role == "deputy":
        return _("the deputy secretary")
    if role == "committee":
        return _("the Party committee")
    return _("the administrator")


@dataclass
class StatusView:
    branch_name: str
    year: int
    deadline: date | None
    approved: list[str] = field(default_factory=list)
    submitted: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    not_pledged: list[str] = field(default_factory=list)
    members: int = 0
    last_round: str | None = None
    round_sent: int = 0
    round_answered: int = 0


@dataclass
class PendingPledge:
    pledge_id: int
    version: int
    name: str
    amendment: bool  # an approved pledge's amendment (the approved one still counts)
    submitted_at: datetime | None


class PledgeReviewing(PledgeUseCase):
    async def pending(self, actor: Actor, branch_id: int) -> tuple[str, list[PendingPledge]]:
        """The branch's pledges waiting for a decision that the actor may take (never their own), oldest
        first, and the branch's name."""
        async with self.deps.db.session() as s:
            branch = await self._branch_for_manager(s, actor, branch_id, "pledge_pending")
            rows = await s.execute(
                select(Pledge, Person.display_name)
                .join(Person, Person.id == Pledge.person_id)
                .where(Pledge.branch_id == branch_id, Pledge.status == PledgeStatus.SUBMITTED.value)
                .order_by(Pledge.submitted_at, Pledge.id)
            )
            return branch.name, [
                PendingPledge(p.id or 0, p.version, name, p.approved_version is not None, p.submitted_at)
                for p, name in rows.all()
                if can_review_item(actor, p.branch_id, p.org_id, p.person_id)
            ]

    async def check_decidable(self, actor: Actor, pledge_id: int, version: int) -> str:
        """Before asking for a return comment: may this actor decide, and is the version still open?"""
        async with self.deps.db.session() as s:
            p = await self._pledge_for_reviewer(s, actor, pledge_id, "pledge_return")
            self._require_open(actor, p, version)
            person = await s.get(Person, p.person_id)
            return person.display_name if person else "?"

    def _require_open(self, actor: Actor, p: Pledge, version: int) -> None:
        if p.status != PledgeStatus.SUBMITTED or p.version != version:
            log.warning(
                "replayed pledge decision: person=%s pledge=%s v%s (now %s v%s)",
                actor.person_id,
                p.id,
                version,
                p.status,
                p.version,
            )
            raise Conflict(_("This pledge was already handled."))

    async def approve(self, actor: Actor, pledge_id: int, version: int) -> str:
        now = self.now()
        async with self.deps.db.session() as s:
            p = await self._pledge_for_reviewer(s, actor, pledge_id, "pledge_approve")
            self._require_open(actor, p, version)
            p.status, p.approved_version = PledgeStatus.APPROVED.value, version
            p.decided_at, p.decided_by = now, actor.person_id
            p.first_approved_at = p.first_approved_at or now
            s.add(p)
            await s.execute(
                update(PledgeVersion)
                .where(PledgeVersion.pledge_id == p.id, PledgeVersion.version == version)
                .values(status=PledgeStatus.APPROVED.value, decided_at=now, decided_by=actor.person_id)
            )
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="pledge.approve",
                org_id=p.org_id,
                branch_id=p.branch_id,
                target=f"pledge:{p.id}:v{version}",
            )
            person = await s.get(Person, p.person_id)
            assert person is not None
            year = p.year
            seat = actor.seat(p.branch_id)
            # Name who approved it: a secretary's own pledge is approved by the deputy or the committee.
            role = (seat.role if seat is not None and seat.role in ("secretary", "deputy")
                    else "committee" if p.org_id in actor.admin_org_ids else "admin")
            await notify(
                s,
                self.deps,
                p.person_id,
                key=f"pledge_decision:{p.id}:v{version}",
                kind="pledge_decision",
                render=lambda: Reply(text=(
                    _("✅ Your pledge amendment for {year} was approved by {reviewer}.")
                    if version > 1
                    else _(
                        "✅ Your pledge for {year} was approved by {reviewer}. Send /camket to see "
                        "it and your progress."
                    )
                ).format(year=year, reviewer=_reviewer_name(role))),
                branch_id=p.branch_id,
            )
            return person.display_name

    async def return_pledge(self, actor: Actor, pledge_id: int, version: int, comment: str) -> str:
        comment = check_field(comment)
        now = self.now()
        async with self.deps.db.session() as s:
            p = await self._pledge_for_reviewer(s, actor, pledge_id, "pledge_return")
            self._require_open(actor, p, version)
            content = await pledge_content(s, p)
            if p.approved_version:
                # An amendment sent back: the approved pledge stays approved, the amendment becomes a draft.
                p.status = PledgeStatus.APPROVED.value
                p.draft = content | {"mode": "amend"}
            else:
                p.status = PledgeStatus.RETURNED.value
                p.draft = content | {"mode": "fix"}
            p.secretary_comment = comment
            p.decided_at, p.decided_by = now, actor.person_id
            s.add(p)
            await s.execute(
                update(PledgeVersion)
                .where(PledgeVersion.pledge_id == p.id, PledgeVersion.version == version)
                .values(
                    status=PledgeStatus.RETURNED.value,
                    decided_at=now,
                    decided_by=actor.person_id,
                    comment=comment,
                )
            )
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="pledge.return",
                org_id=p.org_id,
                branch_id=p.branch_id,
                target=f"pledge:{p.id}:v{version}",
            )
            person = await s.get(Person, p.person_id)
            assert person is not None
            year = p.year
            await notify(
                s,
                self.deps,
                p.person_id,
                key=f"pledge_decision:{p.id}:v{version}",
                kind="pledge_decision",
                render=lambda: Reply(
                    text=_(
                        "↩️ The secretary returned your pledge for {year} with a comment:\n"
                        "<i>{comment}</i>\n\nYour pledge is ready to edit."
                    ).format(year=year, comment=esc(comment)),
                    buttons=[[Button(_("✏️ Edit my pledge"), PledgeDraft("open").pack())]],
                ),
                branch_id=p.branch_id,
            )
            return person.display_name

    async def status(self, actor: Actor, branch_id: int) -> StatusView:
        year = self.year()
        async with self.deps.db.session() as s:
            branch = await self._branch_for_manager(s, actor, branch_id, "pledge_status")
            members = await active_members(s, branch_id)
            view = StatusView(
                branch.name, year, (await branch_settings(s, branch_id)).deadline, members=len(members)
            )
            by_person = {p.person_id: p for p in await branch_pledges(s, branch_id, year)}
            for pid, name in members:
                p = by_person.get(pid)
                if p is None or not counts_as_pledged(p):
                    (
                        view.returned
                        if p is not None and p.status == PledgeStatus.RETURNED
                        else view.not_pledged
                    ).append(name)
                elif p.approved_version is not None:
                    view.approved.append(name)
                else:
                    view.submitted.append(name)
            rnd = (
                await s.execute(
                    select(PledgeCheckinRound)
                    .where(PledgeCheckinRound.branch_id == branch_id)
                    .order_by(PledgeCheckinRound.created_at.desc(), PledgeCheckinRound.id.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            if rnd is not None:
                view.last_round = rnd.period
                sent, answered = (
                    await s.execute(
                        select(func.count(PledgeCheckin.id), func.count(PledgeCheckin.answered_at)).where(
                            PledgeCheckin.round_id == rnd.id
                        )
                    )
                ).one()
                view.round_sent, view.round_answered = int(sent), int(answered)
            return view
