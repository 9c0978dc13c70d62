"""Telegram-like flood limits for the fake Bot API.

Telegram's documented guidance: about 30 messages per second overall, about one per second per
private chat (short bursts tolerated) and 20 per minute per group. The fake enforces these per bot
token so a sender that ignores ``retry_after`` is caught in tests.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(slots=True)
class RateLimits:
    global_per_sec: int = 30
    chat_per_sec: float = 1.0
    chat_burst: int = 4
    group_per_min: int = 20
    enabled: bool = True


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


@dataclass(slots=True)
class _BotWindows:
    sends: deque[float] = field(default_factory=deque)
    chats: dict[int, _Bucket] = field(default_factory=dict)
    groups: dict[int, deque[float]] = field(default_factory=dict)


def _window_wait(window: deque[float], now: float, span: float, limit: int) -> float:
    """Seconds until one more event fits in a sliding window of ``span`` seconds holding ``limit``."""
    while window and window[0] <= now - span:
        window.popleft()
    if len(window) < limit:
        return 0.0
    return window[len(window) - limit] + span - now


class RateLimiter:
    """Decides whether one send may go now; ``check`` returns 0 (accepted and counted) or retry_after."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._bots: dict[str, _BotWindows] = {}
        self.last_limit = ""  # which limit the last refused send hit: "global", "chat" or "group"

    def reset(self) -> None:
        self._bots.clear()

    def check(self, token: str, chat_id: int) -> int:
        lim = self.limits
        if not lim.enabled:
            return 0
        now = self._clock()
        bot = self._bots.setdefault(token, _BotWindows())
        waits = [_window_wait(bot.sends, now, 1.0, lim.global_per_sec)]
        bucket: _Bucket | None = None
        group: deque[float] | None = None
        if chat_id < 0:
            group = bot.groups.setdefault(chat_id, deque())
            waits.append(_window_wait(group, now, 60.0, lim.group_per_min))
        else:
            bucket = bot.chats.setdefault(chat_id, _Bucket(float(lim.chat_burst), now))
            bucket.tokens = min(float(lim.chat_burst), bucket.tokens + (now - bucket.at) * lim.chat_per_sec)
            bucket.at = now
            if bucket.tokens < 1.0:
                waits.append((1.0 - bucket.tokens) / lim.chat_per_sec)
        wait = max(waits)
        if wait > 0:
            self.last_limit = ("global", "group" if group is not None else "chat")[waits.index(wait) > 0]
            # A rejected request does not consume capacity, as with Telegram.
            return max(1, math.ceil(wait))
        bot.sends.append(now)
        if group is not None:
            group.append(now)
        if bucket is not None:
            bucket.tokens -= 1.0
        return 0
