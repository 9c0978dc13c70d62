"""The one tick runner (bot.compose.TickRunner) used by `hocbac run` and `hocbac worker`."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

import bot.compose as compose


class FakeSender:
    def __init__(self) -> None:
        self.woken = 0

    def wake(self) -> None:
        self.woken += 1


def fake_app(tick_seconds: float) -> SimpleNamespace:
    return SimpleNamespace(settings=SimpleNamespace(tick_seconds=tick_seconds), services=object(),
                           sender=FakeSender())


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    seen: list[object] = []

    async def run_ticks(services, now=None, only=None):  # type: ignore[no-untyped-def]
        seen.append((services, now, only))
        return {"daily": "ok"}

    monkeypatch.setattr(compose, "run_ticks", run_ticks)
    return seen


async def test_tick_runs_once_and_wakes_the_sender(calls: list[object]) -> None:
    app = fake_app(60)
    runner = compose.TickRunner(app)  # type: ignore[arg-type]
    assert await runner.tick(only=["daily"]) == {"daily": "ok"}
    assert calls == [(app.services, None, ["daily"])]
    assert app.sender.woken == 1


async def test_run_ticks_at_a_fixed_rate_until_stopped(calls: list[object]) -> None:
    app = fake_app(0.05)
    runner = compose.TickRunner(app)  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await asyncio.sleep(0.22)
    stop.set()
    await asyncio.wait_for(task, timeout=1)
    assert 3 <= len(calls) <= 6  # at once, then every 50 ms
    assert app.sender.woken == len(calls)
    count = len(calls)
    await asyncio.sleep(0.1)
    assert len(calls) == count  # nothing runs after stop


async def test_first_now_false_waits_one_interval(calls: list[object]) -> None:
    runner = compose.TickRunner(fake_app(10))  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop, first_now=False))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=1)
    assert calls == []


async def test_a_failing_tick_does_not_stop_the_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = 0

    async def run_ticks(services, now=None, only=None):  # type: ignore[no-untyped-def]
        nonlocal runs
        runs += 1
        raise RuntimeError("database away")

    monkeypatch.setattr(compose, "run_ticks", run_ticks)
    runner = compose.TickRunner(fake_app(0.02))  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await asyncio.sleep(0.1)
    stop.set()
    await asyncio.wait_for(task, timeout=1)
    assert runs >= 2
