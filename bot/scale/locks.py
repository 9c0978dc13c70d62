"""Per-person locks shared by every process (Redis), satisfying bot.kernel.dispatcher.UserLocks.

A lock is ``SET key token NX PX ttl``; it is released only by its owner (compare-and-delete in Lua)
and extended while the handler still runs, so a slow handler never loses its lock to another worker,
while a crashed worker's lock frees itself after ``ttl``.

``lock(key, reads=[...])`` also reads those Redis keys in the same round trip as the acquiring ``SET NX``
(a pipeline: Redis runs the GETs right after the SET, so they see what the previous holder wrote), and
yields ``{name: raw value}``. The dispatcher reads the conversation state and the actor-cache version
this way: one round trip instead of three per update.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from bot.kernel.dispatcher import MemoryLocks

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""


class LockTimeout(RuntimeError):
    """The lock stayed taken longer than ``wait_timeout`` (another worker is stuck on this person)."""


class RedisLocks:
    def __init__(self, redis: Any, prefix: str = "hocbac:lock:", ttl_ms: int = 30_000,
                 wait_timeout: float = 60.0) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_ms = ttl_ms
        self.wait_timeout = wait_timeout
        # Updates of one person inside this process queue locally first, so they do not all poll Redis.
        self._local = MemoryLocks()
        self._release = redis.register_script(_RELEASE)
        self._extend = redis.register_script(_EXTEND)

    @asynccontextmanager
    async def lock(self, key: str, reads: Sequence[str] = ()) -> AsyncIterator[dict[str, Any]]:
        async with self._local.lock(key):
            name = self.prefix + key
            token = secrets.token_hex(16)
            values = await self._acquire(name, token, reads)
            # Most handlers finish well inside ttl/3: a timer (no task per update) starts the keeper
            # only for a handler that is still running then.
            loop = asyncio.get_running_loop()
            keeper: list[asyncio.Task[None]] = []
            timer = loop.call_later(self.ttl_ms / 3000,
                                    lambda: keeper.append(asyncio.create_task(self._keep(name, token))))
            try:
                yield values
            finally:
                timer.cancel()
                for task in keeper:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                await self._release(keys=[name], args=[token])

    async def _acquire(self, name: str, token: str, reads: Sequence[str]) -> dict[str, Any]:
        deadline = time.monotonic() + self.wait_timeout
        delay = 0.002
        while True:
            if reads:
                async with self.redis.pipeline(transaction=False) as pipe:
                    pipe.set(name, token, nx=True, px=self.ttl_ms)
                    for read in reads:
                        pipe.get(read)
                    got, *values = await pipe.execute()
            else:
                got, values = await self.redis.set(name, token, nx=True, px=self.ttl_ms), []
            if got:
                return dict(zip(reads, values, strict=True))
            if time.monotonic() > deadline:
                raise LockTimeout(name)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    async def _keep(self, name: str, token: str) -> None:
        while True:
            await self._extend(keys=[name], args=[token, self.ttl_ms])
            await asyncio.sleep(self.ttl_ms / 3000)
