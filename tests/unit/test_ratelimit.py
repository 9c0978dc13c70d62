"""The sender's limiter: never more than the rate in any window, pauses on 429, spaces one chat."""

from __future__ import annotations

import asyncio
import time

from bot.channels.ratelimit import BotLimiter, ChatSpacing, SlidingWindow


def _simulate(window: SlidingWindow, sends: int, delays: list[float] | None = None) -> list[float]:
    """Fire ``sends`` as early as allowed; ``delays`` models a task waking late on a busy machine."""
    now, fired = 0.0, []
    for i in range(sends):
        now += window.wait_needed(now) + (delays[i] if delays else 0.0)
        window.record(now)
        fired.append(now)
    return fired


def test_sliding_window_never_exceeds_rate_and_uses_the_ceiling():
    fired = _simulate(SlidingWindow(30, period=1.0, margin=0.0), 95)
    assert all(fired[i + 30] - fired[i] >= 1.0 for i in range(len(fired) - 30))
    assert 3.0 <= fired[-1] < 3.01  # 95 sends need just over 3 s: the ceiling is used, not wasted


def test_late_wakeups_do_not_bunch_sends():
    delays = [0.2 if i % 7 == 0 else 0.0 for i in range(200)]
    fired = _simulate(SlidingWindow(30, period=1.0, margin=0.0), 200, delays)
    assert all(fired[i + 30] - fired[i] >= 1.0 - 1e-9 for i in range(len(fired) - 30))


def test_pause_pushes_every_later_send():
    window = SlidingWindow(30, period=1.0, margin=0.0)
    window.record(0.0)
    window.pause(5.0, now=0.5)
    assert window.wait_needed(0.6) == 4.9


def test_chat_spacing():
    spacing = ChatSpacing(private_interval=1.0, group_interval=3.0)
    spacing.commit("a", False, spacing.earliest("a", 0.0))
    assert spacing.earliest("a", 0.1) == 1.0
    spacing.commit("g", True, 0.0)
    assert spacing.earliest("g", 0.0) == 3.0
    assert spacing.earliest("b", 0.2) == 0.2


async def test_bot_limiter_spaces_one_chat_and_caps_the_bot():
    limiter = BotLimiter(global_per_sec=20, chat_per_sec=5, group_per_min=20)
    fired: list[tuple[str, float]] = []

    async def send(chat: str) -> None:
        await limiter.wait_turn(chat, False)
        fired.append((chat, time.monotonic()))

    await asyncio.gather(*(send(f"c{i % 10}") for i in range(30)), send("solo"), send("solo"))
    times = sorted(t for _c, t in fired)
    assert all(times[i + 20] - times[i] >= 1.0 for i in range(len(times) - 20))
    solo = [t for c, t in fired if c == "solo"]
    assert solo[1] - solo[0] >= 0.2 - 1e-3
