"""Pledges on the dashboard's branch page: the members by the state of their pledge, and pledges to approve."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.pledges.models import Pledge, PledgeStatus
from bot.features.pledges.reads import branch_pledges, local_year
from bot.i18n import _
from bot.services.deps import Deps
from bot.services.directory import active_member_ids
from bot.services.extensions import PendingItem
from storage.models.people import Person


def _state(p: Pledge | None) -> str:
    """One state per member: approved once any version was approved (an amendment waiting stays approved)."""
    if p is None:
        return "none"
    if p.approved_version is not None or p.status == PledgeStatus.APPROVED:
        return "approved"
    if p.status == PledgeStatus.SUBMITTED:
        return "waiting"
    if p.status == PledgeStatus.RETURNED:
        return "returned"
    return "draft"


async def _by_state_series(s: AsyncSession, deps: Deps, branch_id: int, start: datetime,
                           end: datetime) -> list[tuple[str, float | int]]:
    """How many of today's members stand in each state for the period's year (their sum is the members)."""
    year = local_year(start, deps.settings.tz)
    members = await active_member_ids(s, branch_id)
    by_person = {p.person_id: p for p in await branch_pledges(s, branch_id, year) if p.person_id in members}
    counts = {"approved": 0, "waiting": 0, "returned": 0, "draft": 0, "none": 0}
    for pid in members:
        counts[_state(by_person.get(pid))] += 1
    return [
        (_("Approved"), counts["approved"]),
        (_("Waiting for approval"), counts["waiting"]),
        (_("Returned for changes"), counts["returned"]),
        (_("Still writing"), counts["draft"]),
        (_("No pledge yet"), counts["none"]),
    ]


async def _to_approve(s: AsyncSession, deps: Deps, branch_id: int) -> list[PendingItem]:
    rows = (
        await s.execute(
            select(Pledge, Person.display_name)
            .join(Person, Person.id == Pledge.person_id)
            .where(Pledge.branch_id == branch_id, Pledge.status == PledgeStatus.SUBMITTED.value)
            .order_by(Pledge.submitted_at, Pledge.id)
        )
    ).all()
    return [
        PendingItem(_("{name}: pledge for {year}").format(name=name, year=p.year), p.submitted_at)
        for p, name in rows
    ]
