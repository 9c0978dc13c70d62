"""Outbox size after 30 simulated days, without the retention purge and with it (OUTBOX_RETENTION_DAYS 7 and 30).

    .venv/bin/python benchmarks/bench_outbox_purge.py                       # 100,000 members (~3 GB of disk)
    .venv/bin/python benchmarks/bench_outbox_purge.py --members 10000       # a quick run; sizes scale linearly

Each simulated day queues, for every member, the daily item (a ~1 KB message with buttons, as the daily
feature sends) and, for a quarter of them, a notice (a broadcast row with ``ref``); the rows end ``sent``
(1% ``unreachable``) and, at the end of the day, the real purge (bot/services/outbox_purge.py) runs as the
minute ticks would have over that day. After day 30 the file is VACUUMed and its size printed next to the
ceiling, with the size per member and the rows still carrying a payload. SQLite; the rows are inserted in
bulk with a sync engine (not measured), on a schema made by the migrations (so the partial indexes are the
real ones).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, func, insert, select

from bot.messages import Button, Reply
from bot.services import outbox_purge
from storage.db import Database
from storage.migrate import upgrade_sync
from storage.models.outbox import OutboxMessage

DAYS = 30
START = datetime(2026, 3, 1, tzinfo=UTC)
# The ceiling: what a 100,000-member deployment's outbox may take after 30 days, with the purge on.
CEILING_MB_PER_100K = 1024.0
TICKS_PER_DAY = 1440


def _daily(day: int, person: int) -> dict[str, object]:
    verse = ("Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh: mỗi ngày một việc tốt, "
             "gần dân, trọng dân, vì dân. ") * 2
    return Reply(text=f"<b>Ngày {day + 1:02d}/03/2026</b>\n{verse}\nĐồng chí {person} đã đọc chưa?",
                 buttons=[[Button("Đã đọc ✓", f"daily:read:{day}"), Button("Ghi việc tốt", "deeds:new")],
                          [Button("Tạm dừng", "daily:pause")]]).to_dict()


def _notice(day: int) -> dict[str, object]:
    return Reply(text=f"<b>Thông báo của chi bộ</b>\nHọp chi bộ thường kỳ ngày {day + 2:02d}/03/2026 lúc 19:30 "
                      "tại nhà văn hoá thôn. Đề nghị các đồng chí đảng viên tham dự đầy đủ, đúng giờ.",
                 buttons=[[Button("Đã nhận ✓", f"bcast:ack:{day}")]]).to_dict()


def _day_rows(day: int, members: int) -> list[dict[str, object]]:
    due = START + timedelta(days=day, hours=6)
    rows: list[dict[str, object]] = []
    for p in range(1, members + 1):
        status = "unreachable" if p % 100 == 0 else "sent"
        base = {"person_id": None, "identity_id": None, "branch_id": None, "channel": "telegram",
                "chat_id": str(10_000_000 + p), "bot": "", "status": status, "priority": 9, "due_at": due,
                "created_at": due, "attempts": 1, "sent_at": due + timedelta(minutes=5) if status == "sent" else None,
                "sent_message_ids": [str(day * 1000 + 1)] if status == "sent" else None, "expires_at": None,
                "ref": None, "last_error": None, "claimed_at": due, "claimed_by": "bench"}
        rows.append({**base, "key": f"daily:{p}:{day}", "kind": "daily", "payload": _daily(day, p)})
        if p % 4 == day % 4:  # a quarter of the members get a notice each day: about 7 a month each
            rows.append({**base, "key": f"broadcast:{day}:{p}", "kind": "broadcast", "priority": 5,
                         "ref": f"broadcast:{day}", "payload": _notice(day)})
    return rows


def _size_mb(db_file: Path) -> float:
    conn = sqlite3.connect(db_file)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.close()
    return db_file.stat().st_size / 1e6


def simulate(members: int, retention: int | None, tmp: Path) -> dict[str, float]:
    db_file = tmp / f"outbox_{retention}.sqlite3"
    upgrade_sync(f"sqlite+aiosqlite:///{db_file}")
    engine = create_engine(f"sqlite:///{db_file}")
    purge_s = 0.0
    batches = 0
    try:
        for day in range(DAYS):
            rows = _day_rows(day, members)
            with engine.begin() as conn:
                for i in range(0, len(rows), 20_000):
                    conn.execute(insert(OutboxMessage), rows[i:i + 20_000])
            if retention is not None:
                # Every minute tick of the day would run up to MAX_BATCHES; here, until nothing is left.
                night = START + timedelta(days=day + 1)
                t0 = time.perf_counter()
                done = asyncio.run(_purge(f"sqlite+aiosqlite:///{db_file}", night, retention, TICKS_PER_DAY))
                purge_s += time.perf_counter() - t0
                batches += done.batches
        with engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
            kept = conn.execute(select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.purged_at.is_(None))).scalar_one()
    finally:
        engine.dispose()
    return {"mb": _size_mb(db_file), "rows": total, "with_payload": kept, "purge_s": purge_s, "batches": batches}


async def simulate_pg(members: int, retention: int | None, pg: str) -> dict[str, float]:
    """The same on PostgreSQL: a fresh database, sized with pg_total_relation_size after VACUUM FULL."""
    import asyncpg

    from storage.migrate import upgrade

    base = pg.replace("postgresql+asyncpg://", "postgresql://")
    name = f"hocbac_bench_purge_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(base)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = f"postgresql+asyncpg://{base.removeprefix('postgresql://').rpartition('/')[0]}/{name}"
    database = Database(url)
    purge_s = 0.0
    batches = 0
    try:
        await upgrade(database.engine)
        for day in range(DAYS):
            rows = _day_rows(day, members)
            async with database.session() as s:
                conn = await s.connection()
                for i in range(0, len(rows), 10_000):
                    await conn.execute(insert(OutboxMessage), rows[i:i + 10_000])
            if retention is not None:
                t0 = time.perf_counter()
                done = await outbox_purge.purge(database, now=START + timedelta(days=day + 1),
                                                retention_days=retention,
                                                max_batches=TICKS_PER_DAY * outbox_purge.MAX_BATCHES)
                purge_s += time.perf_counter() - t0
                batches += done.batches
        async with database.session() as s:
            conn = await s.connection()
            total = (await conn.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
            kept = (await conn.execute(select(func.count()).select_from(OutboxMessage)
                                       .where(OutboxMessage.purged_at.is_(None)))).scalar_one()
        await database.dispose()
        raw = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        await raw.execute("VACUUM FULL outbox")  # what autovacuum reuses, given back: comparable to SQLite's VACUUM
        size = await raw.fetchval("SELECT pg_total_relation_size('outbox')")
        await raw.close()
    finally:
        await database.dispose()
        admin = await asyncpg.connect(base)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return {"mb": size / 1e6, "rows": total, "with_payload": kept, "purge_s": purge_s, "batches": batches}


async def _purge(url: str, now: datetime, retention: int, ticks: int) -> outbox_purge.Purged:
    database = Database(url)
    try:
        return await outbox_purge.purge(database, now=now, retention_days=retention,
                                        max_batches=ticks * outbox_purge.MAX_BATCHES)
    finally:
        await database.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--members", type=int, default=100_000)
    ap.add_argument("--retention", default="none,7,30", help="comma-separated: none (no purge) or days")
    ap.add_argument("--pg", default="", help="also on PostgreSQL, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/"
                                              "postgres (a database is created and dropped)")
    ap.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = ap.parse_args(argv)
    ceiling = CEILING_MB_PER_100K * args.members / 100_000
    print(f"{args.members:,} members, {DAYS} days: a daily item each a day, a notice for a quarter of them a day")
    print(f"ceiling: {ceiling:,.0f} MB with the purge on ({CEILING_MB_PER_100K:,.0f} MB per 100,000 members)")
    results: dict[str, dict[str, float]] = {}
    engines = ([] if args.no_sqlite else [("SQLite", "")]) + ([("PostgreSQL", args.pg)] if args.pg else [])
    with tempfile.TemporaryDirectory() as tmp:
        for engine_name, pg in engines:
            for spec in args.retention.split(","):
                retention = None if spec.strip() == "none" else int(spec)
                if pg:
                    r = asyncio.run(simulate_pg(args.members, retention, pg))
                else:
                    r = simulate(args.members, retention, Path(tmp))
                results[f"{engine_name} {spec}"] = r
                label = f"{engine_name}, " + ("no purge" if retention is None else f"retention {retention} d")
                print(f"{label:>26}: {r['mb']:8.1f} MB = {r['mb'] / ceiling:5.2f} of the ceiling, "
                      f"{r['mb'] * 1e3 / args.members:6.2f} KB a member; {int(r['rows']):,} rows, "
                      f"{int(r['with_payload']):,} with a payload; purge {r['purge_s']:.1f} s in "
                      f"{int(r['batches'])} batches over {DAYS} days", flush=True)
    for engine_name, _pg in engines:
        if f"{engine_name} none" in results:
            per_day = results[f"{engine_name} none"]["mb"] / DAYS * 100_000 / args.members
            print(f"{engine_name}: without the purge the outbox grows by about {per_day:.0f} MB a day per "
                  "100,000 members")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
