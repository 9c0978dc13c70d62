"""Drop an update_id already seen by any worker (Telegram resends after a timeout, maybe to another one).

Same interface as bot.kernel.dispatcher.RecentUpdates: ``await first_time(channel, update_id) -> bool``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.clock import Clock
from storage.db import Database
from storage.models.system import ProcessedUpdate


class RedisDedupe:
    """``SET NX EX``: the first worker to set the key handles the update. Keys live two days."""

    def __init__(self, redis: Any, prefix: str = "hocbac:upd:", ttl_s: int = 2 * 24 * 3600) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_s = ttl_s

    async def first_time(self, channel: str, update_id: str) -> bool:
        return bool(await self.redis.set(f"{self.prefix}{channel}:{update_id}", 1, nx=True, ex=self.ttl_s))


class SqlDedupe:
    """Without Redis: the processed_update primary key decides (housekeeping prunes old rows)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def first_time(self, channel: str, update_id: str) -> bool:
        insert = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
        now: datetime = self.clock.now()
        stmt = insert(ProcessedUpdate).values(channel=channel, update_id=str(update_id)[:80], at=now)
        stmt = stmt.on_conflict_do_nothing(index_elements=["channel", "update_id"])
        async with self.db.session() as s:
            result = await s.execute(stmt)
        return bool(result.rowcount)
