"""Broadcast rate, side by side in one run, against one fake Bot API limited like Telegram (30 msg/s):

- ours:  the outbox Sender (SQLite outbox, real clock, default settings);
- naive: a sequential aiogram loop that sleeps retry_after on a 429 and retries;
- ptb:   python-telegram-bot's ExtBot with AIORateLimiter (30/s overall), sends issued concurrently.

Each delivers N messages to N distinct private chats. Reported: sustained rate as a fraction of the
ceiling, 429s received, lost (chats that never got it), duplicated (chats that got it twice).

    .venv/bin/python benchmarks/bench_sender.py [--n 3000]   (needs the `bench` extra for ptb)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from bot.app import App
from bot.channels.telegram.channel import TelegramChannel, make_bot
from bot.config import Settings
from bot.devtools.emulator import FakeTelegram
from bot.devtools.harness import TEST_TOKEN
from storage.models.outbox import OutboxMessage

CEILING = 30.0


def result(name: str, fake: FakeTelegram, chats: range, elapsed: float, before429: int) -> dict:
    got = Counter(m.chat_id for m in fake.sent if m.chat_id in chats)
    delivered = sum(got.values())
    return {"sender": name, "n": len(chats), "seconds": round(elapsed, 1),
            "rate": round(len(got) / elapsed, 2), "fraction": round(len(got) / elapsed / CEILING, 3),
            "429s": fake.stats["429"] - before429, "lost": len(chats) - len(got),
            "duplicated": delivered - len(got)}


async def ours(fake: FakeTelegram, chats: range, tmp: Path) -> dict:
    settings = Settings(_env_file=None, bot_token=TEST_TOKEN, telegram_api_url=fake.base_url,  # type: ignore[call-arg]
                        database_url=f"sqlite+aiosqlite:///{tmp / 'bench.sqlite3'}", media_dir=tmp / "media")
    app = await App.create(settings)
    channel = TelegramChannel(make_bot(TEST_TOKEN, fake.base_url))
    await channel.start()
    app.add_channel("telegram", channel)
    sender = app.build_sender()
    now = datetime.now(UTC) - timedelta(seconds=1)
    async with app.db.session() as s:
        await s.execute(insert(OutboxMessage), [
            {"key": f"b:{c}", "kind": "broadcast", "channel": "telegram", "chat_id": str(c), "bot": "",
             "payload": {"text": f"Thông báo <b>{c}</b>"}, "status": "pending", "priority": 5, "due_at": now,
             "attempts": 0, "created_at": now} for c in chats])
    before = fake.stats["429"]
    t0 = time.monotonic()
    await sender.drain()
    elapsed = time.monotonic() - t0
    await channel.bot.session.close()
    await app.close()
    return result("ours (outbox Sender)", fake, chats, elapsed, before)


async def naive(fake: FakeTelegram, chats: range) -> dict:
    from aiogram.exceptions import TelegramRetryAfter

    bot = make_bot(TEST_TOKEN, fake.base_url)
    before = fake.stats["429"]
    t0 = time.monotonic()
    for c in chats:
        while True:
            try:
                await bot.send_message(c, f"Thông báo <b>{c}</b>")
                break
            except TelegramRetryAfter as exc:
                await asyncio.sleep(exc.retry_after)
    elapsed = time.monotonic() - t0
    await bot.session.close()
    return result("naive sequential loop", fake, chats, elapsed, before)


async def ptb(fake: FakeTelegram, chats: range) -> dict:
    from telegram.error import RetryAfter
    from telegram.ext import AIORateLimiter, ExtBot
    from telegram.request import HTTPXRequest

    bot = ExtBot(TEST_TOKEN, base_url=f"{fake.base_url}/bot", base_file_url=f"{fake.base_url}/file/bot",
                 rate_limiter=AIORateLimiter(overall_max_rate=30, overall_time_period=1, max_retries=5),
                 request=HTTPXRequest(connection_pool_size=64))
    await bot.initialize()
    before = fake.stats["429"]
    t0 = time.monotonic()

    async def one(c: int) -> None:
        for _ in range(10):
            try:
                await bot.send_message(c, f"Thông báo <b>{c}</b>", parse_mode="HTML")
                return
            except RetryAfter as exc:
                wait = exc.retry_after
                await asyncio.sleep(wait.total_seconds() if hasattr(wait, "total_seconds") else wait)

    await asyncio.gather(*(one(c) for c in chats))
    elapsed = time.monotonic() - t0
    await bot.shutdown()
    return result("python-telegram-bot AIORateLimiter", fake, chats, elapsed, before)


async def main(n: int) -> None:
    async with FakeTelegram() as fake:
        print(f"ceiling: {CEILING:.0f} msg/s overall (fake Bot API, Telegram's published limit); "
              f"N={n} per sender")
        rows = []
        for i, name in enumerate(("ours", "naive", "ptb")):
            chats = range(1_000_000 + i * 100_000, 1_000_000 + i * 100_000 + n)
            for c in chats:
                fake.add_chat(c, "private", first_name="Đ")
            fake.limiter.reset()
            await asyncio.sleep(1.1)
            with tempfile.TemporaryDirectory() as tmp:
                if name == "ours":
                    rows.append(await ours(fake, chats, Path(tmp)))
                elif name == "naive":
                    rows.append(await naive(fake, chats))
                else:
                    try:
                        rows.append(await ptb(fake, chats))
                    except ImportError:
                        print("python-telegram-bot not installed: pip install -e '.[bench]'")
            print(rows[-1], flush=True)
        print(f"\n{'sender':38} {'msg/s':>7} {'of ceiling':>10} {'429s':>5} {'lost':>5} {'dup':>5}")
        for r in rows:
            print(f"{r['sender']:38} {r['rate']:7.2f} {r['fraction']:10.3f} {r['429s']:5d} {r['lost']:5d} "
                  f"{r['duplicated']:5d}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=3000)
    asyncio.run(main(ap.parse_args().n))
