"""run, migrate: the engine's commands (`hocbac admin` is the admin feature's)."""

from __future__ import annotations

import argparse
import asyncio

from bot.config import load_settings
from bot.logs import setup_logging


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("run", help="run the bot: Telegram polling, scheduler ticks and sender in one process")
    p.set_defaults(func=_run)

    p = sub.add_parser("migrate", help="apply database migrations (run does this on start too)")
    p.set_defaults(func=_migrate)



def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    setup_logging(settings.log_level, settings.log_format)
    from bot.config import require_channel
    from bot.heap import freeze_startup_heap
    from bot.runtime import run_polling

    require_channel(settings)
    freeze_startup_heap()
    asyncio.run(run_polling(settings))
    return 0


def _migrate(args: argparse.Namespace) -> int:
    settings = load_settings()
    from storage.migrate import upgrade_sync

    upgrade_sync(settings.database_url)
    print("Đã cập nhật cơ sở dữ liệu / database is up to date.")
    return 0
