"""Memory and start-up of the long-running processes, side by side in one run, against one fake Bot API:

- ``hocbac run``    (polling + sender + ticks; idle, empty migrated SQLite database);
- ``hocbac web``    (webhook worker; idle);
- ``hocbac worker`` (ticks + sender through the thin Bot API client, with N members' rows queued);
- a minimal aiogram echo bot and a minimal python-telegram-bot echo bot (reference points; PTB is the
  optional ``bench`` extra: ``.venv/bin/pip install -e '.[bench]'``, reported "not installed" without it);
- an empty ``python`` process (the floor).

Each process is started alone (2 shared cores: no process slows the others' start-up), watched until its
first getUpdates (web: until it listens; worker: until its first sendMessage), left ``--settle`` seconds,
then VmRSS / VmHWM are read from /proc/<pid>/status. Printed next to the ceilings of issue #18: 200 MB
RSS, 2 s start-up to the first poll.

    .venv/bin/python benchmarks/bench_rss.py [--rows 100000] [--settle 8] [--before DIR] [--no-compile]

``--before DIR`` also runs ``hocbac run``/``web``/``worker`` from another checkout of the code (for example
``git archive main | tar -x -C DIR``), each right before the same mode of this one: a before/after table
from one run, at the same load. Both trees are byte-compiled first (``compileall``), as a deployment is
after ``pip install``: with ``PYTHONDONTWRITEBYTECODE`` set (as on the helpers' machine) every start would
otherwise compile ~340 modules from source, ~1.3 s of CPU. ``--no-compile`` skips that (a cold start).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.devtools.emulator import FakeTelegram  # noqa: E402
from bot.devtools.harness import TEST_TOKEN  # noqa: E402
from storage.models.outbox import OutboxMessage  # noqa: E402

CEILING_MB = 200.0
CEILING_START = 2.0

AIOGRAM_ECHO = """
import asyncio, sys
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

dp = Dispatcher()

@dp.message()
async def echo(message: Message) -> None:
    await message.answer(message.text or "?")

async def main() -> None:
    bot = Bot(sys.argv[1], session=AiohttpSession(api=TelegramAPIServer.from_base(sys.argv[2])))
    await dp.start_polling(bot, handle_signals=True)

asyncio.run(main())
"""

PTB_ECHO = """
import sys
from telegram.ext import Application, MessageHandler, filters

async def echo(update, context) -> None:
    await update.message.reply_text(update.message.text or "?")

app = (Application.builder().token(sys.argv[1]).base_url(sys.argv[2] + "/bot")
       .base_file_url(sys.argv[2] + "/file/bot").build())
app.add_handler(MessageHandler(filters.TEXT, echo))
app.run_polling()
"""

EMPTY = "import time\nwhile True: time.sleep(1)"


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, in MB."""
    fields: dict[str, float] = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _sep, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (less noisy than wall time on a shared machine)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


async def seed(db_url: str, media: Path, rows: int, api_url: str) -> None:
    """A migrated database; with ``rows`` pending broadcast rows to as many distinct members' chats."""
    settings = Settings(_env_file=None, bot_token=TEST_TOKEN, telegram_api_url=api_url,  # type: ignore[call-arg]
                        database_url=db_url, media_dir=media)
    app = await App.create(settings)
    now = datetime.now(UTC) - timedelta(seconds=1)
    payload = {"text": "Thông báo của chi bộ: họp <b>19:30</b> thứ Sáu."}
    async with app.db.session() as s:
        for start in range(0, rows, 10_000):
            await s.execute(insert(OutboxMessage), [
                {"key": f"b:{c}", "kind": "broadcast", "ref": "broadcast:1", "channel": "telegram",
                 "chat_id": str(c), "bot": "", "payload": payload, "status": "pending", "priority": 5,
                 "due_at": now, "attempts": 0, "created_at": now}
                for c in range(2_000_000 + start, 2_000_000 + min(rows, start + 10_000))])
        await s.commit()
    await app.close()


async def measure(name: str, argv: list[str], env: dict[str, str], cwd: Path, fake: FakeTelegram,
                  ready: str, settle: float, limit: float = 60.0) -> dict[str, object]:
    """Start one process, time it to ``ready`` (getUpdates | sendMessage | a stdout line), wait, read /proc."""
    counter = {"poll": "getUpdates", "send": "sendMessage"}.get(ready)
    before = fake.stats[counter] if counter else 0
    t0 = time.monotonic()
    proc = await asyncio.create_subprocess_exec(*argv, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT)
    lines: list[str] = []
    seen = asyncio.Event()

    async def read() -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            lines.append(line)
            if counter is None and ready in line:
                seen.set()

    reader = asyncio.create_task(read())
    started: float | None = None
    try:
        while time.monotonic() - t0 < limit and proc.returncode is None:
            if (counter and fake.stats[counter] > before) or seen.is_set():
                started = time.monotonic() - t0
                cpu = cpu_seconds(proc.pid)
                break
            await asyncio.sleep(0.005)
        if started is None:
            return {"name": name, "error": "never ready: " + " | ".join(lines[-3:])[:300]}
        await asyncio.sleep(settle)
        if proc.returncode is not None:
            return {"name": name, "error": "exited: " + " | ".join(lines[-3:])[:300]}
        rss, hwm = memory_mb(proc.pid)
        return {"name": name, "start": started, "cpu": cpu, "rss": rss, "hwm": hwm}
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        reader.cancel()


def compile_trees(py: str, trees: list[Path]) -> None:
    for tree in trees:
        subprocess.run([py, "-m", "compileall", "-q", "bot", "storage"], cwd=tree, check=True,
                       stdout=subprocess.DEVNULL)


def row(r: dict[str, object]) -> str:
    if "error" in r:
        return f"{r['name']:<40} {r['error']}"
    start, rss, hwm = float(r["start"]), float(r["rss"]), float(r["hwm"])  # type: ignore[arg-type]
    cpu = float(r.get("cpu", 0.0))  # type: ignore[arg-type]
    return (f"{r['name']:<40} {start:6.2f} s  {start / CEILING_START:5.2f}  {cpu:5.2f} s   {rss:6.1f} MB  "
            f"{hwm:6.1f} MB  "
            f"{max(rss, hwm) / CEILING_MB:5.2f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="members' rows queued for the worker")
    parser.add_argument("--settle", type=float, default=8.0, help="seconds after ready before reading RSS")
    parser.add_argument("--before", type=Path, help="another checkout whose run/web/worker are measured too")
    parser.add_argument("--no-compile", action="store_true", help="do not byte-compile the trees first")
    args = parser.parse_args()
    py = sys.executable
    trees = [ROOT, *([args.before.resolve()] if args.before else [])]
    if not args.no_compile:
        compile_trees(py, trees)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        async with FakeTelegram() as fake:
            for c in range(2_000_000, 2_000_000 + args.rows):  # the members' chats exist: real sends
                fake.add_chat(c, first_name="Đảng viên")
            idle_db = f"sqlite+aiosqlite:///{tmp / 'idle.sqlite3'}"
            queue_db = f"sqlite+aiosqlite:///{tmp / 'queue.sqlite3'}"
            t = time.monotonic()
            await seed(idle_db, tmp / "media", 0, fake.base_url)
            await seed(queue_db, tmp / "media", args.rows, fake.base_url)
            print(f"seeded {args.rows:,} queued rows in {time.monotonic() - t:.1f} s")
            base = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "DATABASE_",
                                                                             "REDIS_", "ZALO_", "WEB"))}
            env = {**base, "PYTHONPATH": str(ROOT), "BOT_TOKEN": TEST_TOKEN, "TELEGRAM_API_URL": fake.base_url,
                   "MEDIA_DIR": str(tmp / "media"), "DATABASE_URL": idle_db}
            hocbac = [py, "-m", "bot"]
            web_env = {"WEB_PORT": str(free_port()), "WEB_HOST": "127.0.0.1", "WEBHOOK_SECRET": "s" * 32}
            modes = [("run (idle)", "run", {}, "poll"), ("web (idle)", "web", web_env, "listening"),
                     (f"worker ({args.rows:,} queued)", "worker", {"DATABASE_URL": queue_db}, "send")]
            targets: list[tuple[str, list[str], dict[str, str], str]] = [
                ("python (empty process)", [py, "-c", EMPTY], env, "poll")]
            for label, mode, extra, ready in modes:
                if args.before:
                    targets.append((f"before: hocbac {label}", [*hocbac, mode],
                                    {**env, **extra, "PYTHONPATH": str(args.before.resolve())}, ready))
                targets.append((f"hocbac {label}", [*hocbac, mode], {**env, **extra}, ready))
            targets += [
                ("aiogram echo bot", [py, "-c", AIOGRAM_ECHO, TEST_TOKEN, fake.base_url], env, "poll"),
            ]
            if has_module("telegram"):
                targets.append(("python-telegram-bot echo bot", [py, "-c", PTB_ECHO, TEST_TOKEN, fake.base_url],
                                env, "poll"))
            results: list[dict[str, object]] = []
            for name, argv, target_env, ready in targets:
                settle = args.settle
                if name.startswith("python ("):  # nothing to wait for: read it after the settle time
                    results.append({"name": name, "start": 0.0, "rss": 0.0, "hwm": 0.0})
                    proc = await asyncio.create_subprocess_exec(*argv)
                    await asyncio.sleep(1)
                    results[-1]["rss"], results[-1]["hwm"] = memory_mb(proc.pid)
                    proc.terminate()
                    await proc.wait()
                    continue
                results.append(await measure(name, argv, target_env, tmp, fake, ready, settle))
                print(row(results[-1]), flush=True)
            if not has_module("telegram"):
                results.append({"name": "python-telegram-bot echo bot",
                                "error": "not installed (.venv/bin/pip install -e '.[bench]')"})
            sent = fake.stats["sendMessage"]
    print()
    print(f"{'process':<40} {'start-up':>8}  {'/2 s':>5}  {'CPU':>7}   {'VmRSS':>9}  {'VmHWM':>9}  {'/200 MB':>7}")
    for r in results:
        print(row(r))
    print(f"(start-up: wall time to the first getUpdates; web: to listening; worker: to its first sendMessage; "
          f"CPU: the process's user+system CPU seconds by then. "
          f"sendMessage calls answered by the fake in all: {sent:,}; settle {args.settle:g} s)")


if __name__ == "__main__":
    asyncio.run(main())
