"""Exactly one active `hocbac worker`: leadership through a PostgreSQL advisory lock or a Redis lease.

``lead(leadership, work, stop)`` waits to become leader, runs ``work(lost)`` while it stays leader and
goes back to standby when leadership is lost (``lost`` is set and the work is cancelled).

- PostgreSQL: ``pg_try_advisory_lock`` on a dedicated connection. The server frees the lock when that
  session ends, so a killed leader releases it at once (or when TCP keepalive notices a dead host).
- Redis: ``SET key token NX PX lease`` renewed every lease/3 by its owner; a dead leader's lease expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

log = logging.getLogger("hocbac.leader")

LOCK_ID = 0x686F6362  # "hocb": the advisory lock key for the worker role


class Leadership(Protocol):
    check_every: float

    async def try_acquire(self) -> bool: ...

    async def still_leader(self) -> bool: ...

    async def release(self) -> None: ...


class PgAdvisoryLeadership:
    def __init__(self, database_url: str, lock_id: int = LOCK_ID, check_every: float = 2.0) -> None:
        self.dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
        self.lock_id = lock_id
        self.check_every = check_every
        self.conn: Any = None

    async def try_acquire(self) -> bool:
        import asyncpg

        try:
            if self.conn is None or self.conn.is_closed():
                self.conn = await asyncpg.connect(self.dsn, timeout=5)
            return bool(await self.conn.fetchval("SELECT pg_try_advisory_lock($1)", self.lock_id))
        except Exception as exc:
            log.warning("leader election: PostgreSQL unavailable (%s)", type(exc).__name__)
            await self._drop()
            return False

    async def still_leader(self) -> bool:
        try:
            held = await asyncio.wait_for(self.conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                "AND objid = $1 AND granted", self.lock_id & 0xFFFFFFFF), timeout=self.check_every * 2)
            return bool(held)
        except Exception:
            await self._drop()
            return False

    async def release(self) -> None:
        if self.conn is not None and not self.conn.is_closed():
            with contextlib.suppress(Exception):
                await self.conn.execute("SELECT pg_advisory_unlock($1)", self.lock_id)
        await self._drop()

    async def _drop(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                await self.conn.close(timeout=2)
        self.conn = None


_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisLeaseLeadership:
    def __init__(self, redis: Any, key: str = "hocbac:leader:worker", lease_ms: int = 15_000) -> None:
        self.redis = redis
        self.key = key
        self.lease_ms = lease_ms
        self.check_every = lease_ms / 3000
        self.token = secrets.token_hex(16)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    async def try_acquire(self) -> bool:
        try:
            return bool(await self.redis.set(self.key, self.token, nx=True, px=self.lease_ms))
        except Exception as exc:
            log.warning("leader election: Redis unavailable (%s)", type(exc).__name__)
            return False

    async def still_leader(self) -> bool:
        try:
            return bool(await asyncio.wait_for(self._renew(keys=[self.key], args=[self.token, self.lease_ms]),
                                               timeout=self.check_every))
        except Exception:
            return False

    async def release(self) -> None:
        with contextlib.suppress(Exception):
            await self._release(keys=[self.key], args=[self.token])


class AlwaysLeader:
    """SQLite single-machine mode: nothing to elect."""

    check_every = 3600.0

    async def try_acquire(self) -> bool:
        return True

    async def still_leader(self) -> bool:
        return True

    async def release(self) -> None:
        return None


Work = Callable[[asyncio.Event], Awaitable[None]]


async def lead(leadership: Leadership, work: Work, stop: asyncio.Event, *, retry_every: float = 2.0,
               on_change: Callable[[bool], None] | None = None) -> None:
    """Standby until leader; run ``work`` while leader; repeat until ``stop``."""
    while not stop.is_set():
        if not await leadership.try_acquire():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=retry_every)
            continue
        log.info("became the active worker")
        if on_change:
            on_change(True)
        lost = asyncio.Event()
        task = asyncio.create_task(work(lost))
        try:
            while not stop.is_set() and not task.done():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=leadership.check_every)
                if not stop.is_set() and not await leadership.still_leader():
                    log.warning("lost leadership; going back to standby")
                    break
        finally:
            lost.set()
            if not task.done():
                # Give the work a moment to finish its current step, then cancel it.
                with contextlib.suppress(TimeoutError, asyncio.CancelledError, Exception):
                    await asyncio.wait_for(asyncio.shield(task), timeout=2.0)
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            if on_change:
                on_change(False)
            await leadership.release()
