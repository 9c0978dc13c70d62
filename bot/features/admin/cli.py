"""`hocbac admin …`: the same use cases as the chat commands, acting as the built-in system admin."""

from __future__ import annotations

import argparse
import asyncio
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from bot.config import Settings, load_settings
from bot.logs import setup_logging
from bot.messages import UserRef
from bot.services.errors import DomainError
from bot.services.identity import CLI_ACCOUNT, IdentityService
from bot.services.org import OrgService


class OpenServices(Protocol):
    """The composition root's way to open an App's services for one command (bot.compose.open_services)."""

    def __call__(self, settings: Settings) -> AbstractAsyncContextManager[Any]: ...


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
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


def _admin(args: argparse.Namespace) -> int:
    settings = load_settings()
    setup_logging("WARNING")
    return asyncio.run(run_admin(settings, args))


async def _bot_line(settings: Settings, args: argparse.Namespace, org_id: int | None, code: str) -> str:
    """With several Telegram bots (TELEGRAM_BOTS): which bot the code is for, as a link that sends it."""
    if not settings.telegram_bots:
        return ""  # one bot: the line stays as it always was
    username_of = getattr(args, "telegram_username", None)
    name = await username_of(settings, settings.telegram_bot_key(org_id)) if username_of is not None else ""
    return f" — bot @{name}: https://t.me/{name}?start={code}" if name else ""


async def run_admin(settings: Settings, args: argparse.Namespace) -> int:
    settings = settings.model_copy(update={"admin_ids": [*settings.admin_ids, CLI_ACCOUNT]})
    open_services: OpenServices = args.open_services  # set by bot.cli (the composition root's)
    async with open_services(settings) as services:
        actor = await services.get(IdentityService).resolve(UserRef("cli", "admin", "hocbac CLI"), "admin")
        org = services.get(OrgService)
        try:
            if args.action == "create-org":
                o = await org.create_org(actor, args.name)
                print(f"Đã tạo đảng bộ [{o.id}] {o.name}")
            elif args.action == "create-branch":
                b = await org.create_branch(actor, args.org_id, args.name)
                print(f"Đã tạo chi bộ [{b.id}] {b.name}")
            elif args.action == "invite-secretary":
                kind = "deputy" if args.deputy else "secretary"
                c = await org.create_code(actor, kind=kind, branch_id=args.branch_id)
                print(f"Mã mời ({kind}): {c.code} — hết hạn {c.expires_at:%Y-%m-%d %H:%M} UTC. "
                      f"Gửi cho bot: /start {c.code}{await _bot_line(settings, args, c.org_id, c.code)}")
            elif args.action == "invite-committee":
                c = await org.create_code(actor, kind="committee_admin", org_id=args.org_id)
                print(f"Mã mời (quản trị viên đảng bộ): {c.code} — hết hạn {c.expires_at:%Y-%m-%d %H:%M} UTC. "
                      f"Gửi cho bot: /start {c.code}{await _bot_line(settings, args, c.org_id, c.code)}")
            elif args.action == "list":
                for o in await org.list_orgs():
                    print(f"[{o.id}] {o.name}")
                    for b in await org.list_branches(o.id):
                        print(f"    [{b.id}] {b.name}")
        except DomainError as exc:
            print(f"Lỗi: {exc.message}")
            return 1
        return 0
