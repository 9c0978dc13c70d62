"""Conversation state that survives restarts: SQL by default, Redis when REDIS_URL is set."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.db import Database
from storage.models.system import ConversationState


class StateStore(Protocol):
    async def get(self, key: str) -> dict[str, Any]: ...

    async def set(self, key: str, data: dict[str, Any], now: datetime) -> None: ...

    async def delete(self, key: str) -> None: ...


class SqlStateStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: str) -> dict[str, Any]:
        async with self.db.session() as s:
            row = await s.get(ConversationState, key)
            return dict(row.data) if row else {}

    async def set(self, key: str, data: dict[str, Any], now: datetime) -> None:
        if not data:
            await self.delete(key)
            return
        insert = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
        stmt = insert(ConversationState).values(key=key, data=data, updated_at=now)
        stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={"data": data, "updated_at": now})
        async with self.db.session() as s:
            await s.execute(stmt)

    async def delete(self, key: str) -> None:
        async with self.db.session() as s:
            await s.execute(delete(ConversationState).where(ConversationState.key == key))


class RedisStateStore:
    """Keys expire after 30 days so abandoned forms do not pile up forever."""

    TTL = 30 * 24 * 3600

    def __init__(self, redis: Any, prefix: str = "hocbac:state:") -> None:
        self.redis = redis
        self.prefix = prefix

    def read_key(self, key: str) -> str:
        """The Redis key of ``key``'s state, for a caller that reads it with other keys (``decode`` it)."""
        return self.prefix + key

    @staticmethod
    def decode(raw: Any) -> dict[str, Any]:
        return json.loads(raw) if raw else {}

    async def get(self, key: str) -> dict[str, Any]:
        return self.decode(await self.redis.get(self.prefix + key))

    async def set(self, key: str, data: dict[str, Any], now: datetime) -> None:
        if not data:
            await self.delete(key)
            return
        await self.redis.set(self.prefix + key, json.dumps(data, ensure_ascii=False), ex=self.TTL)

    async def delete(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)
