"""The sender's limiter: never more than the rate in any window, pauses on 429, spaces one chat."""

from __future__ import annotations

from bot.channels.ratelimit import ChatSpacing, SlidingWindow


def test_sliding_window_never_exceeds_rate():
    window = SlidingWindow(30, period=1.0, margin=0.0)
    slots = [window.reserve(0.0) for _ in range(95)]
    assert slots == sorted(slots)
    for i in range(len(slots) - 30):
        assert slots[i + 30] - slots[i] >= 1.0
    # Sustained: 95 sends need just over 3 s, not more (the ceiling is used, not wasted).
    assert 3.0 <= slots[-1] < 3.01


def test_pause_pushes_every_later_slot():
    window = SlidingWindow(30, period=1.0, margin=0.0)
    window.reserve(0.0)
    window.pause(5.0, now=0.5)
    assert window.reserve(0.6) >= 5.5


def test_chat_spacing():
    spacing = ChatSpacing(private_interval=1.0, group_interval=3.0)
    first = spacing.earliest("a", 0.0)
    spacing.commit("a", False, first)
    assert spacing.earliest("a", 0.1) == 1.0
    spacing.commit("g", True, 0.0)
    assert spacing.earliest("g", 0.0) == 3.0
    assert spacing.earliest("b", 0.2) == 0.2
