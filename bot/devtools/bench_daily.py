"""Benchmark of daily delivery: `hocbac bench daily --members 100000` (or benchmarks/bench_daily.py).

1. Seeds a fresh SQLite database, or with ``--postgres URL`` a fresh PostgreSQL database made (and dropped)
   on that server (bulk inserts; not timed): N members across B branches in O đảng bộ,
   delivery times spread over the morning (triangular 05:00–08:00, peak 06:30).
2. Runs the real ``daily`` tick once per minute of that morning on a fake clock and times each run
   (finding who is due + choosing + enqueueing): p50/p99 over all minutes with members due, and over
   the busiest minutes.
3. Drains a sample of the queued messages with the real sender against the fake Telegram server and its
   30 msg/s limit, then counts lost and duplicated messages against what the outbox held.

Printed figures: tick p50/p99 (ms), sustained send rate as a fraction of the 30 msg/s ceiling, lost,
duplicated, peak RSS of this process (seeding, bot and fake server together).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import resource
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update

CEILING = 30.0  # Telegram's documented ~30 messages/second per bot; FakeTelegram enforces the same
DAY = (2026, 3, 3)  # a Tuesday: no occasion, weekday rules do not filter anyone


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def _seed(db_url: str, members: int, branches: int, orgs: int, seed: int) -> None:
    """Bulk inserts through their own engine (fast; not part of any measurement)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.features.daily.models import DailyPref
    from storage.models.org import Branch, Organization
    from storage.models.people import Identity, Membership, Person

    rng = random.Random(seed)
    now = datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))
    engine = create_async_engine(db_url)
    async with engine.begin() as conn:
        await conn.execute(insert(Organization), [{"id": o + 1, "name": f"Đảng bộ {o + 1}", "created_at": now}
                                                  for o in range(orgs)])
        await conn.execute(insert(Branch), [{"id": b + 1, "org_id": b % orgs + 1, "name": f"Chi bộ {b + 1}",
                                             "created_at": now, "group_bot": ""} for b in range(branches)])
        chunk = 20_000
        for start in range(0, members, chunk):
            ids = range(start + 1, min(members, start + chunk) + 1)
            await conn.execute(insert(Person), [{"id": i, "display_name": f"Đảng viên {i}", "locale": "vi",
                                                 "created_at": now} for i in ids])
            await conn.execute(insert(Identity), [{"id": i, "person_id": i, "channel": "telegram", "bot": "",
                                                   "external_id": str(10_000_000 + i),
                                                   "chat_id": str(10_000_000 + i),
                                                   "display_name": "", "username": "", "reachable": True,
                                                   "created_at": now} for i in ids])
            await conn.execute(insert(Membership), [{"id": i, "person_id": i,
                                                     "branch_id": (i - 1) % branches + 1,
                                                     "role": "member", "status": "active", "requested_at": now}
                                                    for i in ids])
            await conn.execute(insert(DailyPref), [{"person_id": i, "days": "all", "group_only": False,
                                                    "minute": round(rng.triangular(5 * 60, 8 * 60, 6 * 60 + 30)),
                                                    "updated_at": now} for i in ids])
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:  # a deployment's autovacuum would have the statistics
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE"))
    await engine.dispose()


@contextlib.asynccontextmanager
async def _database(postgres: str | None, tmp: Path) -> AsyncIterator[str]:
    """A fresh database URL: a file under ``tmp``, or a new database on the PostgreSQL server (dropped after)."""
    if not postgres:
        yield f"sqlite+aiosqlite:///{tmp / 'bench.sqlite3'}"
        return
    import uuid

    import asyncpg

    base = postgres.replace("postgresql+asyncpg://", "postgresql://")
    name = f"hocbac_bench_daily_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(base)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    head, _sep, _db = base.rpartition("/")
    try:
        yield f"postgresql+asyncpg://{head.removeprefix('postgresql://')}/{name}"
    finally:
        conn = await asyncpg.connect(base)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def run(members: int = 100_000, branches: int = 2_000, orgs: int = 20, sample: int = 3_000,
              busiest: int = 30, seed: int = 5, postgres: str | None = None) -> dict[str, float]:
    from bot.app import App
    from bot.channels.telegram.channel import TelegramChannel, make_bot
    from bot.clock import FakeClock
    from bot.config import Settings
    from bot.devtools.emulator import FakeTelegram
    from bot.devtools.harness import TEST_TOKEN
    from bot.services.ticks import run_ticks
    from storage.models.outbox import OutboxMessage, OutboxStatus

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    with tempfile.TemporaryDirectory() as tmp_dir:
        async with _database(postgres, Path(tmp_dir)) as db_url:
            tmp = Path(tmp_dir)
            settings = Settings(_env_file=None, database_url=db_url,  # type: ignore[call-arg]
                                bot_token=TEST_TOKEN, media_dir=tmp / "media", log_level="WARNING")
            clock = FakeClock(datetime(*DAY, 4, 58, tzinfo=tz), tz)
            app = await App.create(settings, clock=clock)  # runs the migrations
            from bot.heap import freeze_startup_heap

            freeze_startup_heap()  # as `hocbac run` and `hocbac worker` do after start-up
            baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # imports (aiogram: ~130 MB)
            t0 = time.perf_counter()
            await _seed(db_url, members, branches, orgs, seed)
            print(f"{'PostgreSQL' if postgres else 'SQLite'}: seeded {members:,} members, {branches:,} branches, "
                  f"{orgs} đảng bộ in {time.perf_counter() - t0:.1f} s (not measured)")

            # --- the minute tick -----------------------------------------------------------------
            await run_ticks(app.services, clock.now(), only=["daily"])  # first run: nothing due yet
            tick_ms: list[float] = []
            minute = datetime(*DAY, 4, 59, tzinfo=tz)
            end = datetime(*DAY, 8, 1, tzinfo=tz)
            while minute <= end:
                clock.set(minute)
                started = time.perf_counter()
                result = await run_ticks(app.services, clock.now(), only=["daily"])
                tick_ms.append((time.perf_counter() - started) * 1000)
                assert result == {"daily": "ok"}, result
                minute += timedelta(minutes=1)
            async with app.db.session() as s:
                queued = (await s.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
            top = sorted(tick_ms, reverse=True)[:busiest]
            print(f"ticks: {len(tick_ms)} minutes 04:59–08:01, {queued:,} messages queued "
                  f"(expected {members:,})")

            # --- the send rate against the fake server -------------------------------------------
            async with app.db.session() as s:
                order = (OutboxMessage.priority, OutboxMessage.due_at, OutboxMessage.id)  # the sender's order
                first = select(OutboxMessage.id).order_by(*order).limit(sample)
                ids = [r[0] for r in (await s.execute(first)).all()]
                await s.execute(update(OutboxMessage).where(OutboxMessage.id.not_in(ids))
                                .values(status=OutboxStatus.CANCELLED.value))
                chats = [int(r[0]) for r in (await s.execute(
                    select(OutboxMessage.chat_id).where(OutboxMessage.id.in_(ids)))).all()]
            clock.set(datetime(*DAY, 9, 0, tzinfo=tz))  # everything sampled is due, nothing expired
            async with FakeTelegram() as fake:
                for chat in chats:
                    fake.add_chat(chat, "private")
                channel = TelegramChannel(make_bot(settings.token, fake.base_url))
                await channel.start()
                app.add_channel("telegram", channel)
                sender = app.build_sender("bench")
                stop = asyncio.Event()
                started = time.perf_counter()
                task = asyncio.create_task(sender.run(stop, idle_poll=0.05))
                await fake.wait_for(lambda: len(fake.sent) >= len(chats), timeout=len(chats) / 10 + 60)
                elapsed = time.perf_counter() - started
                await asyncio.sleep(1.5)  # let any duplicate show up before counting
                stop.set()
                await task
                await channel.bot.session.close()
                per_chat = Counter(m.chat_id for m in fake.sent)
                stats_429 = fake.stats.get("429", 0)
            async with app.db.session() as s:
                statuses = Counter(r[0] for r in (await s.execute(
                    select(OutboxMessage.status).where(OutboxMessage.id.in_(ids)))).all())
            await app.close()

    lost = sum(1 for c in chats if per_chat.get(c, 0) == 0)
    duplicated = sum(n - 1 for n in per_chat.values() if n > 1)
    # The sender's first second is a burst (an empty window); the sustained rate is measured over the whole
    # sample, from the sender's start to the last message.
    rate = len(chats) / elapsed if elapsed else 0.0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "tick_p50_ms": statistics.median(tick_ms),
        "tick_p99_ms": _pct(tick_ms, 0.99),
        "busiest_p50_ms": statistics.median(top),
        "busiest_max_ms": max(top),
        "send_rate": rate,
        "send_fraction": rate / CEILING,
        "lost": lost,
        "duplicated": duplicated,
        "rss_mb": rss_mb,
        "rss_baseline_mb": baseline_mb,
        "fake_429": stats_429,
    }
    print(f"tick (all {len(tick_ms)} minutes): p50 {figures['tick_p50_ms']:.1f} ms, "
          f"p99 {figures['tick_p99_ms']:.1f} ms  [target p99 < 250 ms]")
    print(f"tick ({busiest} busiest minutes): p50 {figures['busiest_p50_ms']:.1f} ms, "
          f"max {figures['busiest_max_ms']:.1f} ms")
    print(f"send: {len(chats):,} messages (a sample of {queued:,}) in {elapsed:.1f} s = {rate:.2f} msg/s "
          f"= {figures['send_fraction']:.3f} of the {CEILING:.0f} msg/s ceiling  [target >= 0.95]")
    print(f"lost {lost}, duplicated {duplicated}  [target 0/0]; outbox statuses {dict(statuses)}; "
          f"429 from the fake: {stats_429}")
    print(f"peak RSS {rss_mb:.0f} MB (seeding, bot and fake server in one process; {baseline_mb:.0f} MB "
          f"of it is the process after imports and migrations, before any member exists)  [target < 200 MB]")
    print(f"ceiling: {CEILING:.0f} msg/s per bot = {CEILING * 3600:,.0f} private messages an hour")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run_args(args)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--branches", type=int, default=2_000)
    parser.add_argument("--orgs", type=int, default=20, help="đảng bộ (branches are spread over them)")
    parser.add_argument("--sample", type=int, default=3_000, help="messages drained against the fake server")
    parser.add_argument("--busiest", type=int, default=30, help="how many busiest minutes to report apart")
    parser.add_argument("--postgres", default=None, metavar="URL",
                        help="run on a fresh database made on this PostgreSQL server (e.g. "
                             "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres) instead of SQLite")


def run_args(args: argparse.Namespace) -> int:
    import logging

    logging.basicConfig(level=logging.WARNING)
    figures = asyncio.run(run(args.members, args.branches, args.orgs, args.sample, args.busiest,
                              postgres=args.postgres))
    ok = (figures["tick_p99_ms"] < 250 and figures["send_fraction"] >= 0.95 and figures["lost"] == 0
          and figures["duplicated"] == 0 and figures["rss_mb"] < 200)
    print("result:", "all targets met" if ok else "some targets missed")
    return 0
