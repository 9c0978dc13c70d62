"""Broadcasts: what feature.py declares for reports — audiences, notice figures and the export sheet."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.broadcasts.models import Broadcast, BroadcastAck, BroadcastStatus
from bot.i18n import _
from bot.services import outbox
from bot.services.deps import Deps
from bot.services.directory import active_member_ids
from bot.services.extensions import BranchScope
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.models.people import Person


async def _all_members(s: AsyncSession, deps: Deps, branch_id: int, now: datetime) -> set[int]:
    return await active_member_ids(s, branch_id)


async def _not_acknowledged_last(s: AsyncSession, deps: Deps, branch_id: int, now: datetime) -> set[int]:
    last = (
        await s.execute(
            select(Broadcast)
            .where(
                Broadcast.branch_id == branch_id,
                Broadcast.ack_requested.is_(True),
                Broadcast.status.in_([BroadcastStatus.SENDING.value, BroadcastStatus.DONE.value]),
            )
            .order_by(Broadcast.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if last is None:
        return set()
    delivered = set(
        (
            await s.execute(
                select(OutboxMessage.person_id).where(
                    OutboxMessage.ref == f"broadcast:{last.id}",
                    OutboxMessage.status == OutboxStatus.SENT.value,
                )
            )
        )
        .scalars()
        .all()
    )
    acked = set(
        (await s.execute(select(BroadcastAck.person_id).where(BroadcastAck.broadcast_id == last.id)))
        .scalars()
        .all()
    )
    return {p for p in delivered - acked if p is not None}


def _in_period(start: datetime, end: datetime):  # type: ignore[no-untyped-def]
    started = func.coalesce(Broadcast.started_at, Broadcast.scheduled_at, Broadcast.created_at)
    return started >= start, started < end


async def _notice_figures(
    s: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
) -> dict[str, float | int]:
    rows = (
        (
            await s.execute(
                select(Broadcast).where(
                    Broadcast.branch_id == branch_id,
                    *_in_period(start, end),
                    Broadcast.status.in_(
                        [
                            BroadcastStatus.SENDING.value,
                            BroadcastStatus.DONE.value,
                            BroadcastStatus.CANCELLED.value,
                        ]
                    ),
                )
            )
        )
        .scalars()
        .all()
    )
    sent = ack_sent = acked = 0
    for b in rows:
        n = (
            await s.execute(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.ref == f"broadcast:{b.id}", OutboxMessage.status == OutboxStatus.SENT.value
                )
            )
        ).scalar_one()
        sent += int(n)
        if b.ack_requested:
            ack_sent += int(n)
            acked += int(
                (
                    await s.execute(
                        select(func.count())
                        .select_from(BroadcastAck)
                        .where(BroadcastAck.broadcast_id == b.id)
                    )
                ).scalar_one()
            )
    return {
        "notices": len(rows),
        "notices_sent": sent,
        "notices_ack_sent": ack_sent,
        "notices_acknowledged": acked,
    }


async def _notice_figures_bulk(
    s: AsyncSession, deps: Deps, branch_ids: BranchScope, start: datetime, end: datetime
) -> dict[int, dict[str, float | int]]:
    """``_notice_figures`` for many branches: the notices, then their sent messages and acknowledgements, each
    in one GROUP BY query."""
    out: dict[int, dict[str, float | int]] = {
        b: {"notices": 0, "notices_sent": 0, "notices_ack_sent": 0, "notices_acknowledged": 0} for b in branch_ids}
    notices = (await s.execute(
        select(Broadcast.id, Broadcast.branch_id, Broadcast.ack_requested).where(
            branch_ids.where(Broadcast.branch_id), *_in_period(start, end),
            Broadcast.status.in_([BroadcastStatus.SENDING.value, BroadcastStatus.DONE.value,
                                  BroadcastStatus.CANCELLED.value]))
    )).all()
    if not notices:
        return out
    sent: dict[str, int] = {}
    acked: dict[int, int] = {}
    refs = [f"broadcast:{bid}" for bid, _b, _a in notices]
    with_ack = [bid for bid, _b, ack in notices if ack]
    for chunk in _chunks(refs):
        rows = await s.execute(
            select(OutboxMessage.ref, func.count()).where(
                OutboxMessage.ref.in_(chunk), OutboxMessage.status == OutboxStatus.SENT.value)
            .group_by(OutboxMessage.ref))
        sent.update((ref, int(n)) for ref, n in rows.all())
    for chunk in _chunks(with_ack):
        rows = await s.execute(
            select(BroadcastAck.broadcast_id, func.count()).where(BroadcastAck.broadcast_id.in_(chunk))
            .group_by(BroadcastAck.broadcast_id))
        acked.update((bid, int(n)) for bid, n in rows.all())
    for bid, branch_id, ack in notices:
        f = out[branch_id]
        n = sent.get(f"broadcast:{bid}", 0)
        f["notices"] += 1
        f["notices_sent"] += n
        if ack:
            f["notices_ack_sent"] += n
            f["notices_acknowledged"] += acked.get(bid, 0)
    return out


def _chunks(values: list[Any], size: int = 5000) -> list[list[Any]]:
    """Bound parameter lists (PostgreSQL takes at most 32767 a query)."""
    return [values[i:i + size] for i in range(0, len(values), size)]


async def _notice_sheet(
    s: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
) -> tuple[list[str], list[list[Any]]]:
    header = [
        _("No."),
        _("Created"),
        _("Author"),
        _("Audience"),
        _("Text"),
        _("Recipients"),
        _("Delivered"),
        _("Could not be reached"),
        _("Failed"),
        _("Asked to confirm"),
        _("Confirmed"),
        _("Status"),
    ]
    rows = (
        await s.execute(
            select(Broadcast, Person)
            .join(Person, Person.id == Broadcast.author_person_id)
            .where(
                Broadcast.branch_id == branch_id,
                *_in_period(start, end),
                Broadcast.status != BroadcastStatus.DRAFT.value,
            )
            .order_by(Broadcast.id)
        )
    ).all()
    out: list[list[Any]] = []
    for b, author in rows:
        c = await outbox.counts_by_status(s, f"broadcast:{b.id}")
        acked = (
            await s.execute(
                select(func.count()).select_from(BroadcastAck).where(BroadcastAck.broadcast_id == b.id)
            )
        ).scalar_one()
        aud = deps.ext.audiences.get(b.audience)
        out.append(
            [
                b.id,
                b.created_at.replace(tzinfo=None),
                author.display_name,
                aud.label() if aud else b.audience,
                b.text[:500],
                b.total,
                c.get("sent", 0),
                c.get("unreachable", 0) + b.no_account,
                c.get("failed", 0) + c.get("skipped", 0),
                _("yes") if b.ack_requested else _("no"),
                int(acked),
                b.status,
            ]
        )
    return header, out
