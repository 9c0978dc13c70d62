"""Pledges: what feature.py declares for reports — figures, the not-pledged audience, the pledge_items provider."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.pledges.models import Pledge, PledgeCheckin, PledgeCheckinAnswer, PledgeCheckinRound, PledgeItem
from bot.features.pledges.reads import local_year, not_pledged
from bot.services.deps import Deps
from bot.services.extensions import BranchScope


async def _pledge_items(session: AsyncSession, person_id: int, year: int) -> list[tuple[int, str]]:
    rows = await session.execute(
        select(PledgeItem.id, PledgeItem.position, PledgeItem.what)
        .join(Pledge, Pledge.id == PledgeItem.pledge_id)
        .where(
            Pledge.person_id == person_id,
            Pledge.year == year,
            Pledge.approved_version.is_not(None),
            PledgeItem.active.is_(True),
        )
        .order_by(Pledge.id, PledgeItem.position)
    )
    return [(int(i), f"{pos + 1}. {what[:60]}") for i, pos, what in rows.all()]


async def _not_pledged_audience(session: AsyncSession, deps: Deps, branch_id: int, now: datetime) -> set[int]:
    return {pid for pid, _name in await not_pledged(session, branch_id, local_year(now, deps.settings.tz))}


async def _figures(
    session: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
) -> dict[str, float | int]:
    years = list(range(local_year(start, deps.settings.tz), local_year(end, deps.settings.tz) + 1))
    pledges = (
        (await session.execute(select(Pledge).where(Pledge.branch_id == branch_id, Pledge.year.in_(years))))
        .scalars()
        .all()
    )
    from bot.clock import as_utc

    pledged = sum(1 for p in pledges if p.first_submitted_at and as_utc(p.first_submitted_at) < end)
    approved = sum(1 for p in pledges if p.first_approved_at and as_utc(p.first_approved_at) < end)
    sent, answered = (
        await session.execute(
            select(func.count(PledgeCheckin.id), func.count(PledgeCheckin.answered_at))
            .join(PledgeCheckinRound, PledgeCheckinRound.id == PledgeCheckin.round_id)
            .where(
                PledgeCheckinRound.branch_id == branch_id,
                PledgeCheckin.created_at >= start,
                PledgeCheckin.created_at < end,
            )
        )
    ).one()
    return {
        "pledged": pledged,
        "pledges_approved": approved,
        "checkin_sent": int(sent),
        "checkin_answered": int(answered),
    }


async def _figures_bulk(
    session: AsyncSession, deps: Deps, branch_ids: BranchScope, start: datetime, end: datetime
) -> dict[int, dict[str, float | int]]:
    """``_figures`` for many branches in two GROUP BY queries."""
    years = list(range(local_year(start, deps.settings.tz), local_year(end, deps.settings.tz) + 1))
    out: dict[int, dict[str, float | int]] = {
        b: {"pledged": 0, "pledges_approved": 0, "checkin_sent": 0, "checkin_answered": 0} for b in branch_ids}
    pledges = await session.execute(
        select(
            Pledge.branch_id,
            func.sum(case((Pledge.first_submitted_at < end, 1), else_=0)),
            func.sum(case((Pledge.first_approved_at < end, 1), else_=0)),
        )
        .where(branch_ids.where(Pledge.branch_id), Pledge.year.in_(years))
        .group_by(Pledge.branch_id)
    )
    for branch_id, pledged, approved in pledges.all():
        out[branch_id].update(pledged=int(pledged or 0), pledges_approved=int(approved or 0))
    checkins = await session.execute(
        select(PledgeCheckinRound.branch_id, func.count(PledgeCheckin.id), func.count(PledgeCheckin.answered_at))
        .join(PledgeCheckinRound, PledgeCheckinRound.id == PledgeCheckin.round_id)
        .where(
            branch_ids.where(PledgeCheckinRound.branch_id),
            PledgeCheckin.created_at >= start,
            PledgeCheckin.created_at < end,
        )
        .group_by(PledgeCheckinRound.branch_id)
    )
    for branch_id, sent, answered in checkins.all():
        out[branch_id].update(checkin_sent=int(sent), checkin_answered=int(answered))
    return out


async def _pledge_results(session: AsyncSession, branch_id: int, year: int) -> dict[int, tuple[bool, int, int]]:
    """The ``pledge_results`` provider: per member with a pledge in the year, (approved, check-in items answered
    "done", check-in items answered), for the commendation shortlist."""
    pledges = (await session.execute(
        select(Pledge.id, Pledge.person_id, Pledge.approved_version)
        .where(Pledge.branch_id == branch_id, Pledge.year == year)
    )).all()
    if not pledges:
        return {}
    out = {int(pid): (approved is not None, 0, 0) for _i, pid, approved in pledges}
    answers = await session.execute(
        select(PledgeCheckin.person_id, PledgeCheckinAnswer.status, func.count())
        .join(PledgeCheckin, PledgeCheckin.id == PledgeCheckinAnswer.checkin_id)
        .where(PledgeCheckin.pledge_id.in_([i for i, _p, _a in pledges]))
        .group_by(PledgeCheckin.person_id, PledgeCheckinAnswer.status)
    )
    for person_id, status, n in answers.all():
        approved, done, answered = out[int(person_id)]
        out[int(person_id)] = (approved, done + (int(n) if status == "done" else 0), answered + int(n))
    return out
