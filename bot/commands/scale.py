"""web, worker, set-webhook, backup, restore: the scale-out commands (docs/scale.md)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.config import load_settings
from bot.logs import setup_logging


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("web", help="webhook server (start N behind a load balancer; needs WEBHOOK_SECRET)")
    p.add_argument("--port", type=int, help="listen on this port (default WEB_PORT)")
    p.set_defaults(func=_web)

    p = sub.add_parser("worker", help="scheduler ticks and the sender; one instance active, others stand by")
    p.set_defaults(func=_worker)

    p = sub.add_parser("set-webhook", help="register WEBHOOK_URL and WEBHOOK_SECRET with Telegram (once)")
    p.set_defaults(func=_set_webhook)

    p = sub.add_parser("backup", help="consistent online copy of the SQLite database to PATH")
    p.add_argument("path", type=Path)
    p.set_defaults(func=_backup)

    p = sub.add_parser("restore", help="restore a backup made by `hocbac backup` (stop the bot first)")
    p.add_argument("path", type=Path)
    p.add_argument("--yes", action="store_true", help="overwrite the configured database")
    p.set_defaults(func=_restore)


def _web(args: argparse.Namespace) -> int:
    overrides = {"web_port": args.port} if args.port is not None else {}
    settings = load_settings(**overrides)
    setup_logging(settings.log_level, settings.log_format)
    if not settings.webhook_secret:
        print("Cấu hình thiếu / missing setting WEBHOOK_SECRET: 32+ random characters, the same value "
              "given to `hocbac set-webhook`", file=sys.stderr)
        return 2
    from bot.heap import freeze_startup_heap
    from bot.runtime import run_web

    freeze_startup_heap()
    asyncio.run(run_web(settings))
    return 0


def _worker(args: argparse.Namespace) -> int:
    settings = load_settings()
    setup_logging(settings.log_level, settings.log_format)
    from bot.heap import freeze_startup_heap
    from bot.runtime import run_worker

    freeze_startup_heap()
    asyncio.run(run_worker(settings))
    return 0


def _set_webhook(args: argparse.Namespace) -> int:
    settings = load_settings()
    setup_logging("WARNING")
    from bot.runtime import set_webhook

    url = asyncio.run(set_webhook(settings))
    print(f"Đã đặt webhook / webhook set: {url}")
    return 0


def _backup(args: argparse.Namespace) -> int:
    from bot.scale.backup import BackupError, backup

    settings = load_settings()
    try:
        people = backup(settings.database_url, args.path)
    except BackupError as exc:
        print(f"Lỗi / error: {exc}", file=sys.stderr)
        return 1
    print(f"Đã sao lưu / backed up to {args.path} ({people} people)")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from bot.scale.backup import BackupError, restore

    settings = load_settings()
    if not args.yes:
        print("Restore overwrites the configured database. Stop the bot, then run again with --yes.",
              file=sys.stderr)
        return 2
    try:
        people = restore(settings.database_url, args.path)
    except BackupError as exc:
        print(f"Lỗi / error: {exc}", file=sys.stderr)
        return 1
    print(f"Đã khôi phục / restored from {args.path} ({people} people)")
    return 0
