"""`hocbac content check [PATH]` and `hocbac content import FILE --org ID`."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    content = sub.add_parser("content", help="the teachings library: check it, import a đảng bộ's own items")
    csub = content.add_subparsers(dest="content_command", metavar="ACTION")
    c = csub.add_parser("check", help="load and validate the library; exit 1 on the first bad item")
    c.add_argument("path", nargs="?", type=Path, help="a folder or file (default: the shipped library)")
    c.set_defaults(func=_check)
    i = csub.add_parser("import", help="import a YAML or CSV file for one đảng bộ (all or nothing)")
    i.add_argument("file", type=Path)
    i.add_argument("--org", type=int, required=True, help="the đảng bộ's number (see `hocbac admin list`)")
    i.set_defaults(func=_import)
    content.set_defaults(func=lambda _a: content.print_help())


def _check(args: argparse.Namespace) -> int:
    from bot.content import check_main

    return check_main(args.path)


def _import(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from bot.logs import setup_logging

    settings = load_settings()
    setup_logging("WARNING")
    return asyncio.run(_run_import(args.open_services, settings, args.file, args.org))


async def _run_import(open_services, settings, path: Path, org_id: int) -> int:  # type: ignore[no-untyped-def]
    from bot.content import ContentError
    from bot.features.daily.library import DailyLibrary
    from bot.messages import UserRef
    from bot.services.errors import DomainError
    from bot.services.identity import CLI_ACCOUNT, IdentityService
    from storage.models.org import Organization

    settings = settings.model_copy(update={"admin_ids": [*settings.admin_ids, CLI_ACCOUNT]})
    async with open_services(settings) as services:
        async with services.deps.db.session() as s:
            if await s.get(Organization, org_id) is None:
                print(f"Lỗi: không có đảng bộ số {org_id} (xem `hocbac admin list`)")
                return 1
        cli_user = UserRef("cli", "admin", "hocbac CLI")
        actor = await services.get(IdentityService).resolve(cli_user, "admin")
        try:
            result = await services.get(DailyLibrary).import_items(actor, org_id, path)
        except ContentError as exc:
            print(f"Lỗi, chưa nhập mục nào: {exc}")
            return 1
        except DomainError as exc:
            print(f"Lỗi: {exc.message}")
            return 1
        print(result.summary())
        return 0
