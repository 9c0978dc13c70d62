"""The long-running modes in-process (bot.runtime), each built by bot.compose.build: `run` answers over
polling and ticks at once; `worker` ticks and sends once elected; `web` serves the webhook."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from bot.app import App
from bot.runtime import run_polling, run_web, run_worker
from bot.scale.leader import AlwaysLeader
from storage.models.outbox import OutboxMessage
from storage.models.system import TickRun
from tests.scale.conftest import outbox_rows


async def _tick_names(settings) -> set[str]:  # type: ignore[no-untyped-def]
    app = await App.create(settings, migrate=False)
    try:
        async with app.db.session() as s:
            return {r[0] for r in (await s.execute(select(TickRun.name))).all()}
    finally:
        await app.close()


async def _stop(task: asyncio.Task[None], stop: asyncio.Event) -> None:
    stop.set()
    await asyncio.wait_for(task, timeout=20)


async def test_run_answers_over_polling_and_ticks_at_start(settings, fake_tg):
    stop = asyncio.Event()
    task = asyncio.create_task(run_polling(settings, stop=stop))
    try:
        user = fake_tg.user(88001, "Hà")
        await user.send("/help")
        await user.expect("Đồng chí có thể dùng", timeout=20)
    finally:
        await _stop(task, stop)
    assert await _tick_names(settings)  # the catch-up run at start


async def test_worker_ticks_and_sends_once_elected(web_settings, fake_tg):
    app = await App.create(web_settings)  # the schema and a few due rows, as `hocbac web` leaves them
    try:
        due = datetime.now(UTC) - timedelta(seconds=1)
        for i in range(3):
            fake_tg.add_chat(20_000 + i, "private")
        async with app.db.session() as s:
            await s.execute(insert(OutboxMessage), outbox_rows(3, due, chat_base=20_000))
    finally:
        await app.close()
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(web_settings, stop=stop, leadership=AlwaysLeader()))
    try:
        await fake_tg.wait_for(lambda: len(fake_tg.sent) >= 3, timeout=20)
    finally:
        await _stop(task, stop)
    assert sorted(m.chat_id for m in fake_tg.sent) == [20_000, 20_001, 20_002]
    assert await _tick_names(web_settings)


async def test_web_listens_and_stops(web_settings):
    stop = asyncio.Event()
    ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    settings = web_settings.model_copy(update={"web_host": "127.0.0.1", "web_port": 0, "web_reuse_port": False})
    task = asyncio.create_task(run_web(settings, stop=stop, ready=ready))
    try:
        assert await asyncio.wait_for(ready, timeout=20) > 0
    finally:
        await _stop(task, stop)
