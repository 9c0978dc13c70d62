"""`hocbac admin …`: the same use cases as the chat commands, acting as the built-in system admin."""

from __future__ import annotations

import argparse

from bot.app import App
from bot.config import Settings
from bot.messages import UserRef
from bot.services.errors import DomainError
from bot.services.identity import IdentityService
from bot.services.org import OrgService

CLI_ACCOUNT = "cli:admin"


async def run_admin(settings: Settings, args: argparse.Namespace) -> int:
    settings = settings.model_copy(update={"admin_ids": [*settings.admin_ids, CLI_ACCOUNT]})
    app = await App.create(settings)
    try:
        actor = await app.services.get(IdentityService).resolve(UserRef("cli", "admin", "hocbac CLI"), "admin")
        org = app.services.get(OrgService)
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
                      f"Gửi cho bot: /start {c.code}")
            elif args.action == "invite-committee":
                c = await org.create_code(actor, kind="committee_admin", org_id=args.org_id)
                print(f"Mã mời (cấp ủy): {c.code} — hết hạn {c.expires_at:%Y-%m-%d %H:%M} UTC. "
                      f"Gửi cho bot: /start {c.code}")
            elif args.action == "list":
                for o in await org.list_orgs():
                    print(f"[{o.id}] {o.name}")
                    for b in await org.list_branches(o.id):
                        print(f"    [{b.id}] {b.name}")
        except DomainError as exc:
            print(f"Lỗi: {exc.message}")
            return 1
        return 0
    finally:
        await app.close()
