"""Direct replies under a burst: a reply the channel refuses for now (429 past the short in-request wait, a
5xx) goes to the outbox at the highest priority, and the sender delivers it. 300 people send /start at once
through the webhook while the fake Telegram rate-limits and answers a run of 429s: every one of them gets
exactly one answer. Before, 4 x 429 ended the reply path without a log line and the answer was lost.
"""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
import pytest
from sqlalchemy import select

from bot.services.outbox import REPLY_KIND, REPLY_PRIORITY
from storage.models.outbox import OutboxMessage
from tests.scale.conftest import headers, start_node
from tests.scale.test_webhook import start_update

BURST = 300


async def test_burst_on_sqlite_every_user_gets_exactly_one_answer(web_settings, fake_tg, caplog):
    # The default WEB_MAX_TASKS (256): a SQLite web node caps it (one writer; 256 at once queued past the
    # writer lock's wait and lost updates after their 200).
    await burst_of_start(web_settings, fake_tg, caplog)


@pytest.mark.postgres
async def test_burst_on_postgres_every_user_gets_exactly_one_answer(pg_settings, fake_tg, caplog):
    await burst_of_start(pg_settings, fake_tg, caplog)


@pytest.mark.postgres
@pytest.mark.redis
async def test_burst_on_postgres_and_redis_every_user_gets_exactly_one_answer(scale_settings, fake_tg, caplog):
    await burst_of_start(scale_settings, fake_tg, caplog)


async def burst_of_start(settings, fake_tg, caplog) -> None:
    caplog.set_level(logging.INFO)
    users = [610_001 + i for i in range(BURST)]
    for uid in users:
        fake_tg.add_chat(uid, "private", first_name="An")
    # On top of the fake's own flood limits (30/s for the bot), Telegram says "retry after 3 s" to the next
    # 150 sends: longer than a request waits, so those replies must go through the outbox.
    fake_tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3, times=150)
    node = await start_node(settings)
    sender = node.app.build_sender()  # the `hocbac worker` sender, here beside the web node
    stop = asyncio.Event()
    sending = asyncio.create_task(sender.run(stop, idle_poll=0.2))
    try:
        bodies = [json.dumps(start_update(20_000 + i, uid)).encode() for i, uid in enumerate(users)]
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=BURST)) as http:
            async def post(body: bytes) -> int:
                async with http.post(node.hook_url, data=body, headers=headers()) as resp:
                    return resp.status

            statuses = await asyncio.gather(*(post(b) for b in bodies))
        assert statuses == [200] * BURST
        if not await node.server.drain(120):
            for task in list(node.server.tasks)[:3]:
                task.print_stack()  # where a stuck update waits (the test fails just below)
            raise AssertionError(f"{len(node.server.tasks)} updates still running after 120 s")

        def answered() -> bool:
            return {m.chat_id for m in fake_tg.sent} >= set(users)

        await fake_tg.wait_for(answered, timeout=120)
        for _ in range(100):  # until the sender has marked every reply row (it does so just after sending)
            async with node.app.db.session() as s:
                queued = (await s.execute(select(OutboxMessage).where(OutboxMessage.kind == REPLY_KIND))
                          ).scalars().all()
            if all(r.status not in ("pending", "sending") for r in queued):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # nothing more may follow (a duplicate would show here)
    finally:
        stop.set()
        await sending
        await node.stop()
    per_user = {uid: [m.text for m in fake_tg.messages_for(uid)] for uid in users}
    wrong = {uid: texts for uid, texts in per_user.items() if len(texts) != 1 or "Chào mừng" not in texts[0]}
    assert wrong == {}
    # The 429s did happen, and the replies they held back went through the outbox, first in line.
    assert sum(1 for e in fake_tg.errors if e[1] == 429) >= 150
    assert len(queued) >= 50
    assert {r.priority for r in queued} == {REPLY_PRIORITY}
    assert {r.status for r in queued} == {"sent"}
    assert len({r.key for r in queued}) == len(queued)
    # asyncio's "Unclosed client session" is the garbage collector finding an earlier test's session: not ours.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR
                and not (r.name == "asyncio" and r.getMessage().startswith("Unclosed"))]
