"""Scheduler ticks: a few functions run every minute that query what is due. No job per person.

A tick takes ``(services, now, since)`` where ``since`` is when it last ran (or None), so after downtime it
can catch up on the window it missed. Ticks must be idempotent: everything they send goes through the
outbox with a unique key, so running one twice changes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.services.deps import Services
from storage.models.system import TickRun

log = logging.getLogger("hocbac.ticks")

async def _last_runs(services: Services) -> dict[str, datetime]:
    from sqlalchemy import select

    async with services.deps.db.session() as s:
        rows = (await s.execute(select(TickRun))).scalars().all()
        return {r.name: r.last_run_at for r in rows}


async def _mark(services: Services, name: str, now: datetime) -> None:
    insert = pg_insert if services.deps.db.dialect == "postgresql" else sqlite_insert
    stmt = insert(TickRun).values(name=name, last_run_at=now).on_conflict_do_update(
        index_elements=["name"], set_={"last_run_at": now})
    async with services.deps.db.session() as s:
        await s.execute(stmt)


async def run_ticks(services: Services, now: datetime | None = None, only: list[str] | None = None) -> dict[str, str]:
    """Run every declared tick once for ``now``. One failing tick never stops the others."""
    now = now or services.deps.clock.now()
    last = await _last_runs(services)
    results: dict[str, str] = {}
    for name, t in sorted(services.deps.ext.ticks.items()):
        if only and name not in only:
            continue
        since = last.get(name)
        # A tick never looks back more than a day: older gaps are logged, not replayed.
        if since is not None and now - since > timedelta(days=1):
            log.warning("tick %s was idle since %s; catching up the last day only", name, since)
            since = now - timedelta(days=1)
        try:
            await t.fn(services, now, since)
            await _mark(services, name, now)
            results[name] = "ok"
        except Exception as exc:
            log.exception("tick %s failed", name)
            results[name] = f"error: {type(exc).__name__}"
    return results
