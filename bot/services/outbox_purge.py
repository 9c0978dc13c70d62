"""Outbox retention: final rows lose their payload (the message text) once nobody can need it again.

The row itself stays: its unique key still stops a tick from queuing the same message twice, and its status,
person, ref and times still give broadcast progress, acknowledgements ("delivered to"), the year file's
"notices received", the daily figures and the Zalo quota counts. Only direct replies queued while a channel
was busy (kind ``reply``) are deleted: nothing reads them once final, and their key only matters while the
update could be redelivered (two days, see the housekeeping tick).

Each statement touches at most ``batch`` rows and one call runs at most ``max_batches`` of them, so a tick
stays short and the database is never locked for long; a backlog (the first run on a large outbox) is worked
off over the following ticks. The rows to change are found through partial indexes that hold only final,
not yet purged rows (storage/models/outbox.py), so a tick reads nothing it will not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Executable, TextClause, bindparam, delete, select, text, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.outbox import REPLY_KIND
from storage.db import Database
from storage.models.outbox import PURGE_BULK_WHERE, PURGE_WHERE, PURGEABLE, OutboxMessage

BATCH = 2000
MAX_BATCHES = 5  # per call: 10,000 rows a minute, a backlog of 30 days at 100,000 members in a few hours
# Daily items (one row per member per day) keep their payload one day after they are final; the others keep
# it for OUTBOX_RETENTION_DAYS.
BULK_AFTER = timedelta(days=1)
EMPTY: dict[str, object] = {}


@dataclass
class Purged:
    emptied: int = 0
    deleted: int = 0
    batches: int = 0

    @property
    def done(self) -> int:
        return self.emptied + self.deleted


async def purge_batch(session: AsyncSession, *, now: datetime, retention: timedelta, batch: int = BATCH,
                      bulk_after: timedelta = BULK_AFTER) -> Purged:
    """One bounded step: at most ``batch`` old final rows emptied or deleted. The caller commits."""
    bulk_cutoff = now - min(bulk_after, retention)
    cutoff = now - retention
    out = Purged(batches=1)
    sqlite = session.bind is not None and session.bind.dialect.name == "sqlite"
    bulk_ids = [i for i, _kind in (await session.execute(bulk_query(bulk_cutoff, batch, sqlite=sqlite))).all()]
    if bulk_ids:
        out.emptied += await _empty(session, bulk_ids, now)
    room = batch - len(bulk_ids)
    if room <= 0:
        return out
    rows = (await session.execute(query(cutoff, room, sqlite=sqlite))).all()
    replies = [i for i, kind in rows if kind == REPLY_KIND]
    if replies:
        result = await session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.id.in_(replies), OutboxMessage.status.in_([s.value for s in PURGEABLE]))
            .execution_options(synchronize_session=False))
        out.deleted += int(result.rowcount or 0)
    others = [i for i, kind in rows if kind != REPLY_KIND]
    if others:
        out.emptied += await _empty(session, others, now)
    return out


def bulk_query(cutoff: datetime, limit: int, *, sqlite: bool = False) -> Executable:
    """Final daily items due before ``cutoff``, not yet emptied. The WHERE is the partial index's own text:
    a planner uses a partial index only when the query's terms match its predicate (bound parameters do
    not, on SQLite and in PostgreSQL's generic plans)."""
    return _select(PURGE_BULK_WHERE, "ix_outbox_purge_bulk", cutoff, limit, sqlite)


def query(cutoff: datetime, limit: int, *, sqlite: bool = False) -> Executable:
    """The other final rows due before ``cutoff``, not yet emptied (through ``ix_outbox_purge``)."""
    return _select(PURGE_WHERE, "ix_outbox_purge", cutoff, limit, sqlite)


def _select(where: TextClause, index: str, cutoff: datetime, limit: int, sqlite: bool) -> Executable:
    o = OutboxMessage
    if sqlite:
        # Without statistics SQLite prefers ix_outbox_due (status, due_at), which walks every old final row,
        # emptied or not: name the work-queue index (SQLAlchemy renders no FROM hint for SQLite).
        return text(f"SELECT id, kind FROM outbox INDEXED BY {index} WHERE {where.text} AND due_at < :cutoff "
                    "ORDER BY due_at LIMIT :limit").bindparams(
            bindparam("cutoff", cutoff, type_=o.due_at.type), bindparam("limit", limit))
    return select(o.id, o.kind).where(where, o.due_at < cutoff).order_by(o.due_at).limit(limit)


async def _empty(session: AsyncSession, ids: list[int], now: datetime) -> int:
    # Re-check the status: a row is never changed unless it is (still) final.
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status.in_([s.value for s in PURGEABLE]))
        .values(payload=EMPTY, purged_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


async def purge(db: Database, *, now: datetime, retention_days: int, batch: int = BATCH,
                max_batches: int = MAX_BATCHES, bulk_after: timedelta = BULK_AFTER) -> Purged:
    """Up to ``max_batches`` steps, each in its own short transaction. ``retention_days`` 0: keep everything."""
    total = Purged()
    if retention_days <= 0:
        return total
    for _ in range(max_batches):
        async with db.session() as s:
            step = await purge_batch(s, now=now, retention=timedelta(days=retention_days), batch=batch,
                                     bulk_after=bulk_after)
        total.emptied += step.emptied
        total.deleted += step.deleted
        total.batches += 1
        if step.done < batch:
            break
    return total
