"""Where one webhook update's time goes: SQL statements per update (a SQLAlchemy event listener) and a
cProfile of the bench_load workload, run in-process through the same ``hocbac web`` composition (webhook
intake, Redis locks and de-duplication, the dispatcher). Updates are fed one after another, so the figures
are CPU per update, not latency under load (that is bench_load.py).

    TEST_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \
    TEST_REDIS_URL=redis://127.0.0.1:6379/15 \
      .venv/bin/python benchmarks/profile_update.py [--updates 3000] [--profile out.prof] [--top 25]

Without the two variables it runs on a temporary SQLite file. ACTOR_CACHE_SECONDS=0 in the environment
turns the actor cache off for a before/after comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import asyncpg
from sqlalchemy import event

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_load import SECRET, Workload  # noqa: E402

from bot.channels.telegram.runtime import feed_raw_update  # noqa: E402
from bot.compose import build  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.devtools.emulator import FakeTelegram  # noqa: E402
from bot.devtools.harness import TEST_TOKEN  # noqa: E402


def _kind(statement: str) -> str:
    words = statement.split()
    head = words[0].upper() if words else "?"
    table = ""
    upper = [w.upper() for w in words]
    for marker in ("FROM", "INTO", "UPDATE"):
        if marker in upper:
            i = upper.index(marker)
            if i + 1 < len(words):
                table = words[i + 1].strip('"')
                break
    return f"{head} {table}".strip()


async def run(args: argparse.Namespace) -> None:
    pg = os.environ.get("TEST_POSTGRES_URL", "")
    redis_url = os.environ.get("TEST_REDIS_URL", "")
    async with FakeTelegram() as fake:
        fake.limits.enabled = False
        work = Workload(fake)
        with tempfile.TemporaryDirectory() as t:
            env: dict[str, str] = {"BOT_TOKEN": TEST_TOKEN, "TELEGRAM_API_URL": fake.base_url,
                                   "WEBHOOK_SECRET": SECRET, "MEDIA_DIR": str(Path(t) / "media")}
            name = ""
            if pg and redis_url:
                name = f"hocbac_prof_{uuid.uuid4().hex[:8]}"
                plain = pg.replace("postgresql+asyncpg://", "postgresql://")
                conn = await asyncpg.connect(plain)
                await conn.execute(f'CREATE DATABASE "{name}"')
                await conn.close()
                env |= {"DATABASE_URL": pg.rsplit("/", 1)[0] + "/" + name, "REDIS_URL": redis_url,
                        "REDIS_PREFIX": f"hocbac-prof-{uuid.uuid4().hex[:6]}:"}
            else:
                env["DATABASE_URL"] = f"sqlite+aiosqlite:///{Path(t) / 'prof.sqlite3'}"
            old = {k: os.environ.get(k) for k in env}
            os.environ.update(env)
            try:
                settings = Settings()  # type: ignore[call-arg]
                composed = await build(settings, mode="web")
                try:
                    await measure(composed, work, args)
                finally:
                    await composed.close()
            finally:
                for k, v in old.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
                if name:
                    conn = await asyncpg.connect(pg.replace("postgresql+asyncpg://", "postgresql://"))
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    await conn.close()


async def measure(composed, work: Workload, args: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    webhook = composed.webhook
    webhook.build()  # makes the intake
    statements: Counter[str] = Counter()
    counting = False

    def count(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if counting:
            statements[_kind(statement)] += 1

    event.listen(composed.app.db.engine.sync_engine, "before_cursor_execute", count)
    updates = [work.next() for _ in range(args.updates + args.warmup)]
    for payload in updates[: args.warmup]:  # every stranger seen once would need 3,000; these warm caches
        await feed_raw_update(webhook._intake, webhook.telegram, json.loads(json.dumps(payload)))
    counting = True
    profiler = cProfile.Profile()
    t0, c0 = time.perf_counter(), time.process_time()
    profiler.enable()
    for payload in updates[args.warmup:]:
        await feed_raw_update(webhook._intake, webhook.telegram, payload)
    profiler.disable()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    counting = False
    n = args.updates
    total = sum(statements.values())
    print(f"database: {composed.app.db.dialect}; redis: {'yes' if composed.app.redis else 'no'}; "
          f"ACTOR_CACHE_SECONDS={getattr(composed.app.settings, 'actor_cache_seconds', '-')}")
    print(f"{n} updates one at a time: {wall / n * 1000:.2f} ms wall, {cpu / n * 1000:.2f} ms CPU per update "
          f"(this process also runs the fake Bot API)")
    print(f"SQL statements: {total / n:.2f} per update")
    for kind, c in statements.most_common(12):
        print(f"  {c / n:6.2f}  {kind}")
    if args.profile:
        profiler.dump_stats(args.profile)
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--updates", type=int, default=3000)
    ap.add_argument("--warmup", type=int, default=3000)
    ap.add_argument("--profile", default="")
    ap.add_argument("--top", type=int, default=0)
    asyncio.run(run(ap.parse_args()))
