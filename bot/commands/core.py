"""run, migrate, admin: the foundation's commands."""

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

    admin = sub.add_parser("admin", help="bootstrap tasks: organisations, branches, invites")
    asub = admin.add_subparsers(dest="admin_command", metavar="ACTION")
    a = asub.add_parser("create-org", help="create an đảng bộ")
    a.add_argument("name")
    a.set_defaults(func=_admin, action="create-org")
    a = asub.add_parser("create-branch", help="create a chi bộ in an đảng bộ")
    a.add_argument("org_id", type=int)
    a.add_argument("name")
    a.set_defaults(func=_admin, action="create-branch")
    a = asub.add_parser("invite-secretary", help="one-time invite code for a branch secretary")
    a.add_argument("branch_id", type=int)
    a.add_argument("--deputy", action="store_true", help="invite a deputy secretary instead")
    a.set_defaults(func=_admin, action="invite-secretary")
    a = asub.add_parser("invite-committee", help="one-time invite code for a committee administrator")
    a.add_argument("org_id", type=int)
    a.set_defaults(func=_admin, action="invite-committee")
    a = asub.add_parser("list", help="list đảng bộ and chi bộ")
    a.set_defaults(func=_admin, action="list")
    admin.set_defaults(func=lambda _a: admin.print_help())


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    setup_logging(settings.log_level, settings.log_format)
    from bot.commands.heap import freeze_startup_heap
    from bot.config import require_channel
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


def _admin(args: argparse.Namespace) -> int:
    settings = load_settings()
    setup_logging("WARNING")
    from bot.commands.admin_cli import run_admin

    return asyncio.run(run_admin(settings, args))
