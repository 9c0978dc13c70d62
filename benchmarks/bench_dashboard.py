"""The committee's home page for a big đảng bộ against its 300 ms ceiling, side by side with /baocao's committee
view in chat (ReportService.committee_view and its text), on SQLite and on PostgreSQL, for the same data.

    .venv/bin/python benchmarks/bench_dashboard.py [--branches 2000] [--members 100000] [--months 3]
        [--runs 15] [--db sqlite,postgres] [--periods m,q,y] [--old] [--keep NAME]

Seeds one đảng bộ straight into the tables (bot/devtools/dashboard_seed.py: memberships with joins and
departures, pledges and check-ins, good deeds, meetings and attendance, daily reads and a week of daily
items, notices with deliveries and acknowledgements, emulation projects, contest entries), then times:
- page (cold): committee_home with its six-month trend computed afresh (the first visit in ten minutes);
- page (warm): committee_home when the closed months of the trend are cached but the page's figures are read
  afresh (the first visit of each minute);
- page (cached): committee_home within a minute of the last read (the page says "figures as of hh:mm,
  refreshed every minute"): rendering only;
- render only: the HTML of the page from figures already read (no database);
- chat: committee_view + the chat text, what the committee's /baocao costs;
- with --old: one run of the previous per-branch reads (3 × branch_figures per branch) for comparison.
PostgreSQL uses TEST_POSTGRES_URL's server and a database of its own, created and dropped here. With --keep NAME
the seeded data is kept (SQLite file /tmp/NAME.sqlite3, PostgreSQL database NAME) and reused by later runs with
the same NAME, so two versions of the code can be timed on the same data (drop it yourself afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bot.clock import FakeClock, local_now
from bot.config import Settings
from bot.devtools.dashboard_seed import Seeded, seed_org
from bot.devtools.emulator import FakeTelegram
from bot.devtools.harness import TEST_TOKEN, BotHarness
from bot.features.dashboard.committee import PAGE_CACHE, _trends, committee_home, render_home
from bot.features.reports.handlers import committee_text
from bot.features.reports.service import ReportService
from bot.messages import UserRef
from bot.services.branch_report import committee_reports, period_label, utc_bounds
from bot.services.identity import IdentityService
from bot.services.org import OrgService

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ADMIN, BOSS = 9001, 9301
CEILING_MS = 300.0
NOW = datetime(2026, 3, 20, 10, 0, tzinfo=TZ)


def ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


async def timed(fn: Callable[[], Awaitable[object]], runs: int, before: Callable[[], None] = lambda: None,
                ) -> list[float]:
    out = []
    for _i in range(runs):
        before()
        t0 = time.perf_counter()
        await fn()
        out.append(time.perf_counter() - t0)
    return out


async def bench_one(db: str, url: str, tmp: Path, args: argparse.Namespace) -> list[tuple[str, ...]]:
    async with FakeTelegram() as fake:
        settings = Settings(_env_file=None, bot_token=TEST_TOKEN, telegram_api_url=fake.base_url,  # type: ignore[call-arg]
                            database_url=url, admin_ids=[f"telegram:{ADMIN}"], media_dir=tmp / "media")
        bot = BotHarness(settings, FakeClock(NOW, TZ))
        await bot.start()
        try:
            return await measure(db, bot, args)
        finally:
            await bot.stop()


async def measure(db: str, bot: BotHarness, args: argparse.Namespace) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    app = bot.app
    assert app is not None
    deps = app.services.deps
    t0 = time.perf_counter()
    async with app.db.session() as s:
        kept = args.keep and (await s.execute(text("SELECT min(id) FROM organization"))).scalar()
    if kept:  # --keep: the data of an earlier run
        async with app.db.session() as s:
            branch_ids = list((await s.execute(text("SELECT id FROM branch WHERE org_id = :o ORDER BY id"),
                                               {"o": kept})).scalars())
            members = (await s.execute(text(
                "SELECT count(*) FROM membership JOIN branch ON branch.id = membership.branch_id "
                "WHERE branch.org_id = :o AND membership.status = 'active'"), {"o": kept})).scalar_one()
        seeded = Seeded(int(kept), branch_ids, int(members), {"branch (kept)": len(branch_ids)})
    else:
        async with app.db.session() as s:
            seeded = await seed_org(s, now=NOW, tz=TZ, branches=args.branches,
                                members_per_branch=max(2, args.members // args.branches), months=args.months,
                                    read_share=args.read_share, daily_outbox_days=args.daily_outbox_days)
            await s.commit()
    async with app.db.session() as s:
        await s.execute(text("ANALYZE"))
        await s.commit()
    print(f"[{db}] {'kept' if kept else 'seeded'} {seeded.members:,} active members in "
          f"{len(seeded.branch_ids):,} branches in "
          f"{time.perf_counter() - t0:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in sorted(seeded.rows.items())),
          flush=True)
    ids, org = app.services.get(IdentityService), app.services.get(OrgService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN), "Quản trị"), str(ADMIN))
    code = await org.create_code(admin, kind="committee_admin", org_id=seeded.org_id)
    boss = await ids.resolve(UserRef("telegram", str(BOSS), "Uỷ viên"), str(BOSS))
    await org.redeem(boss, code.code)
    boss = await ids.actor_for_person(boss.person_id)
    assert boss is not None
    reports = app.services.get(ReportService)
    cache = deps.extras

    def cold() -> None:
        cache.pop("dashboard.trend_cache", None)
        cache.pop(PAGE_CACHE, None)

    def fresh() -> None:  # the figures read again (a minute has passed), the closed months' trend still cached
        cache.pop(PAGE_CACHE, None)

    for period in args.periods:
        async def page(period: str = period) -> object:
            return await committee_home(deps, boss, seeded.org_id, period)

        async def chat(period: str = period) -> str:
            org_row, got = await reports.committee_view(boss, seeded.org_id, period)
            return committee_text(org_row.name, got)

        await page()
        await chat()  # warm-up: connections, statement caches
        body = (await page()).body  # type: ignore[attr-defined]
        assert body.count("<tr") >= len(seeded.branch_ids)
        today = local_now(app.clock).date()
        async with app.db.session() as s:  # the figures once, to time the rendering alone
            org_row, got = await committee_reports(s, deps, seeded.org_id, period, today)
            trend = await _trends(deps, s, seeded.org_id, [r.branch_id for r in got], today)

        async def render(period: str = period, org_row=org_row, got=got, trend=trend, today=today) -> object:  # type: ignore[no-untyped-def]
            return render_home(org_row, got, trend, period, period_label(period, today))

        render_t = ms(await timed(render, args.runs))
        page_cold = ms(await timed(page, args.runs, cold))
        page_warm = ms(await timed(page, args.runs, fresh))
        page_cached = ms(await timed(page, args.runs))
        chat_t = ms(await timed(chat, args.runs))
        rows.append((db, period, *(f"{v:.0f}" for v in (*page_cold, *page_warm, *page_cached, *render_t,
                                                        *chat_t)),
                     f"{CEILING_MS:.0f}", f"{page_warm[0] / chat_t[0]:.2f}",
                     "met" if page_warm[1] <= CEILING_MS else "NOT met",
                     "met" if page_cached[1] <= CEILING_MS else "NOT met", f"{len(body) / 1024:.0f} KiB"))
        print("  " + " | ".join(rows[-1]), flush=True)
    if args.old:
        start, end = utc_bounds("m", local_now(app.clock).date(), TZ)

        async def old() -> None:  # the committee view before org_figures: 3 reads per branch
            async with app.db.session() as s:
                for b in seeded.branch_ids:
                    for _k in range(3):
                        await deps.ext.branch_figures(s, deps, b, start, end)

        (t,) = await timed(old, 1)
        print(f"  [{db}] previous per-branch reads (3 × branch_figures × {len(seeded.branch_ids):,} branches), "
              f"one run: {t * 1000:.0f} ms", flush=True)
    return rows


async def main(args: argparse.Namespace) -> None:
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for db in args.db:
            if db == "sqlite":
                file = f"/tmp/{args.keep}.sqlite3" if args.keep else f"{tmp}/bench.sqlite3"
                rows += await bench_one(db, f"sqlite+aiosqlite:///{file}", Path(tmp), args)
                continue
            base = os.environ.get("TEST_POSTGRES_URL", "")
            if not base:
                print("[postgres] skipped: TEST_POSTGRES_URL is not set")
                continue
            import asyncpg

            plain = base.replace("postgresql+asyncpg://", "postgresql://")
            name = args.keep or f"hocbac_bench_dashboard_{os.getpid()}"
            conn = await asyncpg.connect(plain)
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await conn.execute(f'CREATE DATABASE "{name}"')
            await conn.close()
            head = plain.rpartition("/")[0].removeprefix("postgresql://")
            try:
                rows += await bench_one(db, f"postgresql+asyncpg://{head}/{name}", Path(tmp), args)
            finally:
                if not args.keep:
                    conn = await asyncpg.connect(plain)
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    await conn.close()
    print()
    print(f"committee home, {args.branches:,} branches / {args.members:,} members, {args.runs} runs each (ms)")
    header = ("db", "period", "page cold median", "p95", "page warm median", "p95", "page cached median", "p95",
              "render only median", "p95", "chat median", "p95",
              "ceiling", "warm page/chat", "warm p95 ≤ ceiling", "cached p95 ≤ ceiling", "page size")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=2000)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=3, help="months of activity before 20/03/2026")
    parser.add_argument("--read-share", type=float, default=0.2, help="chance a member reads on a given day")
    parser.add_argument("--daily-outbox-days", type=int, default=7, help="days of daily items left in the outbox")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--db", type=lambda v: v.split(","), default=["sqlite", "postgres"])
    parser.add_argument("--periods", type=lambda v: v.split(","), default=["m", "q", "y"])
    parser.add_argument("--keep", default="", help="keep the seeded data under this name and reuse it")
    parser.add_argument("--old", action="store_true", help="also time the previous per-branch reads once")
    asyncio.run(main(parser.parse_args()))
