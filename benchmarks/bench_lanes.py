"""Per-bot lanes: while one bot is in a 429 storm and another in a 502 outage, the healthy bots still send at
Telegram's 30 msg/s each.

    .venv/bin/python benchmarks/bench_lanes.py [--bots 4] [--rows 300] [--database-url postgresql+asyncpg://...]

Bot "storm" answers 429 retry_after=5 to every send for the whole run, bot "down" answers the edge's HTML
502 page; each healthy bot ("h1", "h2", ...) has ``--rows`` rows to distinct chats, each bot its own fake Bot
API server. Reports each healthy bot's time and rate against its floor (rows / 30 s) and ceiling (30 msg/s),
lost and duplicated deliveries.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from bot.channels.telegram.channel import TelegramChannel, make_bot
from bot.clock import FakeClock
from bot.config import Settings
from bot.devtools.emulator import FakeTelegram
from bot.devtools.harness import TEST_TOKEN, BotHarness
from bot.messages import ChatRef, Reply
from bot.services import outbox
from storage.models.outbox import OutboxMessage

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CEILING = 30.0  # Telegram's messages per second per bot


class Harness(BotHarness):
    def __init__(self, settings: Settings, clock: FakeClock, channels: dict[str, TelegramChannel]) -> None:
        super().__init__(settings, clock, run_sender=False)
        self.channels = channels

    def extra_channels(self) -> dict[str, TelegramChannel]:  # type: ignore[override]
        return self.channels


async def main(bots: int, rows: int, database_url: str | None, trouble: bool = True) -> None:
    names = ["storm", "down", *(f"h{i}" for i in range(1, max(1, bots - 2) + 1))]
    fakes = {n: await FakeTelegram(bot_username=f"hocbac_{n}_bot").start() for n in names}
    tokens = {n: f"{700000 + i}:bench-{n}-token" for i, n in enumerate(names)}
    channels = {f"telegram:{n}": TelegramChannel(make_bot(tokens[n], fakes[n].base_url)) for n in names}
    if trouble:
        fakes["storm"].fail_next("sendMessage", status=429, description="Too Many Requests: retry after 5",
                                 retry_after=5, times=1_000_000)
        fakes["down"].down(502)
    try:
        async with FakeTelegram() as default:
            with tempfile.TemporaryDirectory() as tmp:
                settings = Settings(_env_file=None, bot_token=TEST_TOKEN,  # type: ignore[call-arg]
                                    telegram_api_url=default.base_url,
                                    database_url=database_url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3",
                                    media_dir=Path(tmp) / "media")
                clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=TZ), TZ)
                harness = await Harness(settings, clock, channels).start()
                try:
                    await run(harness, fakes, names, rows)
                finally:
                    await harness.stop()
    finally:
        for channel in channels.values():
            await channel.bot.session.close()
        for fake in fakes.values():
            await fake.stop()


async def run(harness: BotHarness, fakes: dict[str, FakeTelegram], names: list[str], rows: int) -> None:
    app = harness.app
    assert app is not None and app.sender is not None
    due = app.clock.now() - timedelta(minutes=1)
    async with app.db.session() as s:
        for name in names:  # the troubled bots' rows first: older and more urgent
            priority = -1 if name in ("storm", "down") else 0
            for i in range(rows):
                fakes[name].add_chat(100_000 + i)
                await outbox.enqueue(s, key=f"bench:{name}:{i}", kind="notice",
                                     to=outbox.Recipient(ChatRef("telegram", str(100_000 + i), name)),
                                     reply=Reply(text=f"Thông báo {i}"), due_at=due, priority=priority)
    troubled = bool(fakes["storm"]._faults.get("sendmessage"))
    healthy = [n for n in names if n.startswith("h")]
    stop = asyncio.Event()
    started = time.monotonic()
    task = asyncio.create_task(app.sender.run(stop, idle_poll=0.05))
    done: dict[str, float] = {}
    while len(done) < len(healthy) and time.monotonic() - started < rows / CEILING * 4 + 30:
        for n in healthy:
            if n not in done and len(fakes[n].sent) >= rows:
                done[n] = time.monotonic() - started
        await asyncio.sleep(0.05)
    stop.set()
    await task
    floor = rows / CEILING
    print(f"{len(healthy)} healthy bots x {rows} rows; " + (
        "bot 'storm' in a 429 storm (retry_after=5), bot 'down' answering 502" if troubled
        else "baseline: bots 'storm' and 'down' healthy too"))
    for n in healthy:
        took = done.get(n)
        sent = len(fakes[n].sent)
        per_chat = {}
        for m in fakes[n].sent:
            per_chat[m.chat_id] = per_chat.get(m.chat_id, 0) + 1
        dup = sum(1 for v in per_chat.values() if v > 1)
        rate = sent / took if took else 0.0
        print(f"  {n}: {sent}/{rows} sent in {took or float('nan'):.1f} s (floor {floor:.1f} s); "
              f"{rate:.1f} msg/s (ceiling {CEILING:.0f}); duplicated {dup}; its 429s {fakes[n].stats['429']}")
    async with app.db.session() as s:
        by = dict((await s.execute(select(OutboxMessage.bot, func.count()).where(
            OutboxMessage.status.in_(["pending", "sending"])).group_by(OutboxMessage.bot))).all())
    print(f"  storm: {len(fakes['storm'].sent)} sent, {fakes['storm'].stats['429']} answers 429, "
          f"{by.get('storm', 0)} rows still queued (kept, not lost)")
    print(f"  down: {len(fakes['down'].sent)} sent, {fakes['down'].stats['html_errors']} 502 pages, "
          f"{by.get('down', 0)} rows waiting to retry (kept, not lost)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bots", type=int, default=4, help="bots in all, two of them in trouble")
    parser.add_argument("--rows", type=int, default=300, help="rows per bot")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--baseline", action="store_true", help="no bot in trouble, to compare the rates")
    args = parser.parse_args()
    asyncio.run(main(args.bots, args.rows, args.database_url, trouble=not args.baseline))
