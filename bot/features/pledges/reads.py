"""Pledges: the shared queries (active items, item progress, content, who has not pledged, the year record)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.pledges.models import (
    Pledge,
    PledgeBranchSettings,
    PledgeCheckin,
    PledgeCheckinAnswer,
    PledgeItem,
    PledgeReview,
    PledgeStatus,
    PledgeVersion,
)
from bot.features.pledges.texts import ItemProgress, YearRecord
from bot.services.directory import active_members
from bot.services.extensions import Extensions


def local_year(now: datetime, tz: ZoneInfo) -> int:
    return now.astimezone(tz).year


async def active_items(session: AsyncSession, pledge_id: int) -> list[PledgeItem]:
    rows = await session.execute(
        select(PledgeItem)
        .where(PledgeItem.pledge_id == pledge_id, PledgeItem.active.is_(True))
        .order_by(PledgeItem.position, PledgeItem.id)
    )
    return list(rows.scalars().all())


def item_content(items: list[PledgeItem]) -> list[dict[str, Any]]:
    return [{"id": it.id, "what": it.what, "criterion": it.criterion, "when": it.when_text} for it in items]


async def pledge_content(session: AsyncSession, p: Pledge) -> dict[str, Any]:
    return {
        "duty": p.duty,
        "items": item_content(await active_items(session, p.id or 0)),
        "shortcoming": p.shortcoming,
        "remedy": p.remedy,
        "commitment": p.commitment,
    }


async def item_progress(session: AsyncSession, ext: Extensions, item_ids: list[int]) -> dict[int, ItemProgress]:
    progress = {i: ItemProgress() for i in item_ids}
    if not item_ids:
        return progress
    rows = await session.execute(
        select(PledgeCheckinAnswer.item_id, PledgeCheckinAnswer.status)
        .where(PledgeCheckinAnswer.item_id.in_(item_ids))
        .order_by(PledgeCheckinAnswer.answered_at, PledgeCheckinAnswer.id)
    )
    for item_id, status in rows.all():
        prog = progress[item_id]
        if status == "done":
            prog.done += 1
        elif status == "doing":
            prog.doing += 1
        else:
            prog.not_yet += 1
        prog.last = status
    if ext.providers.deeds_for_pledge_items is not None:
        linked = await ext.providers.deeds_for_pledge_items(session, item_ids)
        for item_id, deeds in linked.items():
            if item_id in progress:
                progress[item_id].deeds = sorted(deeds)
    return progress


async def theme_for(session: AsyncSession, ext: Extensions, org_id: int, year: int) -> str | None:
    if ext.providers.year_theme is None:
        return None
    theme = await ext.providers.year_theme(session, org_id, year)
    return theme[0] if theme else None


def counts_as_pledged(p: Pledge) -> bool:
    return p.approved_version is not None or p.status in (PledgeStatus.SUBMITTED, PledgeStatus.APPROVED)


async def branch_pledges(session: AsyncSession, branch_id: int, year: int) -> list[Pledge]:
    rows = await session.execute(select(Pledge).where(Pledge.branch_id == branch_id, Pledge.year == year))
    return list(rows.scalars().all())


async def not_pledged(session: AsyncSession, branch_id: int, year: int) -> list[tuple[int, str]]:
    pledged = {p.person_id for p in await branch_pledges(session, branch_id, year) if counts_as_pledged(p)}
    return [(pid, name) for pid, name in await active_members(session, branch_id) if pid not in pledged]


async def branch_settings(session: AsyncSession, branch_id: int) -> PledgeBranchSettings:
    row = await session.get(PledgeBranchSettings, branch_id)
    return row or PledgeBranchSettings(branch_id=branch_id)


async def year_record(s: AsyncSession, ext: Extensions, p: Pledge, tz: ZoneInfo) -> YearRecord:
    content = await pledge_content(s, p)
    progress = await item_progress(s, ext, [it["id"] for it in content["items"]])
    mid = (
        await s.execute(
            select(PledgeReview.text).where(
                PledgeReview.pledge_id == p.id,
                PledgeReview.kind == "midyear",
                PledgeReview.status == "submitted",
            )
        )
    ).scalar_one_or_none()
    notes = [
        (at.astimezone(tz).date(), note)
        for at, note in (
            await s.execute(
                select(PledgeCheckin.answered_at, PledgeCheckin.note)
                .where(PledgeCheckin.pledge_id == p.id, PledgeCheckin.note.is_not(None))
                .order_by(PledgeCheckin.created_at)
            )
        ).all()
        if at is not None and note
    ]
    amendments = (
        int(
            (
                await s.execute(
                    select(func.count())
                    .select_from(PledgeVersion)
                    .where(
                        PledgeVersion.pledge_id == p.id, PledgeVersion.status == PledgeStatus.APPROVED.value
                    )
                )
            ).scalar_one()
        )
        - 1
    )
    return YearRecord(
        year=p.year,
        duty=p.duty,
        items=content["items"],
        progress=progress,
        shortcoming=p.shortcoming,
        remedy=p.remedy,
        midyear=mid,
        notes=notes,
        amendments=max(amendments, 0),
    )
