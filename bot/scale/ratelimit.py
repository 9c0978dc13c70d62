"""The per-bot-token rate limit shared through Redis, for when more than one process sends.

Same interface as bot.channels.ratelimit.BotLimiter (``wait_turn`` / ``pause``), so Sender takes it via
``limiter_for``. One Lua script reserves a slot atomically on Redis's own clock: the earliest time that
respects a pause (after a 429), the chat's spacing and "at most ``rate`` sends in any ``period``". The
caller then sleeps until its slot. Same algorithm as the in-process SlidingWindow, only shared.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slot = now
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > slot then slot = paused end
local chat_next = tonumber(redis.call('GET', KEYS[2]) or '0')
if chat_next > slot then slot = chat_next end
local rate = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
while redis.call('LLEN', KEYS[1]) >= rate do
  local oldest = tonumber(redis.call('LINDEX', KEYS[1], 0))
  if oldest + period > slot then slot = oldest + period end
  redis.call('LPOP', KEYS[1])
end
redis.call('RPUSH', KEYS[1], slot)
redis.call('PEXPIRE', KEYS[1], slot - now + period * 2)
local interval = tonumber(ARGV[3])
if interval > 0 then
  redis.call('SET', KEYS[2], slot + interval, 'PX', slot - now + interval + 1000)
end
return slot - now
"""

_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untl = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if untl > cur then redis.call('SET', KEYS[1], untl, 'PX', tonumber(ARGV[1]) + 1000) end
return untl
"""


class RedisBotLimiter:
    def __init__(self, redis: Any, key: str, global_per_sec: float, chat_per_sec: float, group_per_min: float,
                 *, prefix: str = "hocbac:rl:", margin: float = 0.03) -> None:
        self.redis = redis
        self.base = f"{prefix}{key}:"
        self.rate = max(1, int(global_per_sec))
        self.period_ms = int((1.0 + margin) * 1000)
        self.private_ms = int(1000 / chat_per_sec) if chat_per_sec > 0 else 0
        self.group_ms = int(60_000 / group_per_min) if group_per_min > 0 else 0
        self._reserve = redis.register_script(_RESERVE)
        self._pause = redis.register_script(_PAUSE)
        self._pending: set[asyncio.Task[Any]] = set()
        # This process's own view of each chat's next slot (monotonic seconds): enough for the sender to
        # skip a chat it is itself keeping busy, without a Redis round trip per row.
        self._chat_next: dict[str, float] = {}

    async def wait_turn(self, chat_key: str, is_group: bool) -> None:
        interval = self.group_ms if is_group else self.private_ms
        delay_ms = await self._reserve(
            keys=[self.base + "window", self.base + "chat:" + chat_key, self.base + "pause"],
            args=[self.rate, self.period_ms, interval])
        now = time.monotonic()
        self._chat_next[chat_key] = now + (max(0, int(delay_ms)) + interval) / 1000
        if len(self._chat_next) > 50000:
            self._chat_next = {k: v for k, v in self._chat_next.items() if v > now}
        if int(delay_ms) > 0:
            await asyncio.sleep(int(delay_ms) / 1000)

    def chat_wait(self, chat_key: str, is_group: bool) -> float:
        """Seconds until this process may next send to the chat, as far as it knows (see BotLimiter)."""
        return max(0.0, self._chat_next.get(chat_key, 0.0) - time.monotonic())

    def chat_interval(self, is_group: bool) -> float:
        return (self.group_ms if is_group else self.private_ms) / 1000

    def pause(self, seconds: float) -> None:
        """Called synchronously by Sender on a 429; the shared pause is written in the background."""
        task = asyncio.get_running_loop().create_task(
            self._pause(keys=[self.base + "pause"], args=[int(seconds * 1000)]))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)


def redis_limiter_factory(redis: Any, global_per_sec: float, chat_per_sec: float, group_per_min: float,
                          prefix: str = "hocbac:rl:"):  # type: ignore[no-untyped-def]
    """``Sender(..., limiter_for=redis_limiter_factory(redis, ...))``."""

    def make(key: str) -> RedisBotLimiter:
        return RedisBotLimiter(redis, key, global_per_sec, chat_per_sec, group_per_min, prefix=prefix)

    return make
