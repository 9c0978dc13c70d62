"""Rate limits for outgoing messages, per bot token: a sliding window overall, spacing per chat.

Sends are counted when they actually fire, not when they were planned: on a loaded machine a task may
wake late, and counting its planned time would let the next sends bunch up inside Telegram's window.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque


class SlidingWindow:
    """At most ``rate`` sends in any ``period`` seconds (plus a small margin for network jitter)."""

    def __init__(self, rate: float, period: float = 1.0, margin: float = 0.03) -> None:
        self.rate = max(1, int(rate))
        self.period = period + margin
        self._times: deque[float] = deque()
        self._paused_until = 0.0

    def wait_needed(self, now: float) -> float:
        """Seconds until a send may fire (0 when it may fire now)."""
        wait = self._paused_until - now
        if len(self._times) >= self.rate:
            wait = max(wait, self._times[-self.rate] + self.period - now)
        return max(0.0, wait)

    def record(self, now: float) -> None:
        self._times.append(now)
        while len(self._times) > self.rate:
            self._times.popleft()

    def pause(self, seconds: float, now: float) -> None:
        self._paused_until = max(self._paused_until, now + seconds)


class ChatSpacing:
    """Minimum spacing between messages to the same chat (1/s private, 3 s groups by default)."""

    def __init__(self, private_interval: float, group_interval: float) -> None:
        self.private_interval = private_interval
        self.group_interval = group_interval
        self._next: dict[str, float] = {}

    def earliest(self, chat_key: str, now: float) -> float:
        return max(now, self._next.get(chat_key, 0.0))

    def commit(self, chat_key: str, is_group: bool, slot: float) -> None:
        self._next[chat_key] = slot + (self.group_interval if is_group else self.private_interval)
        if len(self._next) > 50000:  # forget chats whose spacing has long passed
            self._next = {k: v for k, v in self._next.items() if v > slot}


class BotLimiter:
    def __init__(self, global_per_sec: float, chat_per_sec: float, group_per_min: float) -> None:
        self.window = SlidingWindow(global_per_sec)
        self.chats = ChatSpacing(1.0 / chat_per_sec if chat_per_sec > 0 else 0.0,
                                 60.0 / group_per_min if group_per_min > 0 else 0.0)
        self.lock = asyncio.Lock()

    async def wait_turn(self, chat_key: str, is_group: bool) -> None:
        """Return when this send may fire; the send is counted at that moment."""
        while True:
            async with self.lock:
                now = time.monotonic()
                wait = max(self.window.wait_needed(now), self.chats.earliest(chat_key, now) - now)
                if wait <= 0:
                    self.window.record(now)
                    self.chats.commit(chat_key, is_group, now)
                    return
            await asyncio.sleep(wait)

    def pause(self, seconds: float) -> None:
        self.window.pause(seconds, time.monotonic())

    def chat_wait(self, chat_key: str, is_group: bool) -> float:
        """Seconds until this chat's spacing allows its next send (0: now). The sender skips a chat that
        must wait, so one busy chat does not hold up the others (head-of-line blocking)."""
        now = time.monotonic()
        return max(0.0, self.chats.earliest(chat_key, now) - now)

    def chat_interval(self, is_group: bool) -> float:
        return self.chats.group_interval if is_group else self.chats.private_interval
