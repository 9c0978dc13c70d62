"""Crash mid-broadcast: kill -9 the worker at a random point, restart it, nothing lost, few duplicates.

In-flight window: a row is a duplicate only if the fake accepted it and the worker died before writing
``sent``. At most SEND_IN_FLIGHT rows are between "request sent" and "row marked sent" at any moment, so
duplicates <= SEND_IN_FLIGHT (16 here). Rows claimed but not yet sent are retried after the claim lease
(OUTBOX_CLAIM_LEASE_SECONDS, 2 s here; 120 s by default) and are not duplicates.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.devtools.harness import TEST_TOKEN
from storage.db import Database
from storage.migrate import upgrade
from storage.models.outbox import OutboxMessage
from tests.scale.conftest import outbox_rows

REPO = Path(__file__).resolve().parents[2]
N = 5000
IN_FLIGHT = 16


async def _sent_rows(db: Database) -> int:
    async with db.session() as s:
        return (await s.execute(select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.status == "sent"))).scalar_one()


def _worker_env(db_url: str, api_url: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "DATABASE_", "BOT_"))}
    env.update(DATABASE_URL=db_url, BOT_TOKEN=TEST_TOKEN, TELEGRAM_API_URL=api_url, REDIS_URL="",
               OUTBOX_CLAIM_LEASE_SECONDS="2", SEND_GLOBAL_PER_SEC="5000", SEND_IN_FLIGHT=str(IN_FLIGHT),
               TICK_SECONDS="3600", WORKER_RETRY_SECONDS="0.2", WORKER_IDLE_POLL="0.1", LOG_LEVEL="WARNING",
               MEDIA_DIR=str(tmp / "media"))
    return env


async def _start(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "worker", cwd=REPO, env=env,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=log.open("ab"))


@pytest.mark.postgres
@pytest.mark.slow
async def test_kill_9_mid_broadcast_loses_nothing(pg_db_url, fake_tg, tmp_path):
    seed = random.randrange(1 << 30)
    rnd = random.Random(seed)
    db = Database(pg_db_url)
    await upgrade(db.engine)
    now = datetime.now(UTC) - timedelta(seconds=1)
    async with db.session() as s:
        await s.execute(insert(OutboxMessage), outbox_rows(N, now))
    fake_tg.limits.global_per_sec = 100_000  # raised for speed; the per-chat limits still apply
    for i in range(N):
        fake_tg.add_chat(10_000 + i, "private", first_name=f"Đảng viên {i}")
    env = _worker_env(pg_db_url, fake_tg.base_url, tmp_path)
    log = tmp_path / "worker.log"
    kill_at = rnd.randrange(200, N - 500)
    proc = await _start(env, log)
    try:
        for _ in range(1200):
            if len(fake_tg.sent) >= kill_at or proc.returncode is not None:
                break
            await asyncio.sleep(0.05)
        assert proc.returncode is None, log.read_text()
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        at_kill = len(fake_tg.sent)
        proc = await _start(env, log)
        for _ in range(1800):
            if await _sent_rows(db) == N:
                break
            await asyncio.sleep(0.1)
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()
    async with db.session() as s:
        per_chat = dict((await s.execute(
            select(OutboxMessage.chat_id, func.count()).where(OutboxMessage.status == "sent")
            .group_by(OutboxMessage.chat_id))).all())
        statuses = dict((await s.execute(select(OutboxMessage.status, func.count())
                                         .group_by(OutboxMessage.status))).all())
    await db.dispose()
    seen = Counter(m.chat_id for m in fake_tg.sent)
    duplicates = sum(n - 1 for n in seen.values() if n > 1)
    print(f"seed={seed} kill_at={kill_at} at_kill={at_kill} delivered={len(fake_tg.sent)} "
          f"duplicates={duplicates} statuses={statuses}")
    assert statuses == {"sent": N}, (seed, log.read_text()[-2000:])
    assert len(per_chat) == N and set(per_chat.values()) == {1}
    assert len(seen) == N  # every recipient got the message: zero lost
    assert duplicates <= IN_FLIGHT, seed
    assert fake_tg.stats["429"] == 0 and fake_tg.stats["400"] == 0
