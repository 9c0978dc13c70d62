"""PLACEHOLDER (dash-core): a branch's page, replaced by dash-branch's real one at merge. It keeps the
contract: the permission check, the branch's name and its members' names."""

from __future__ import annotations

from bot.features.dashboard.page import PERIODS, Download, Page
from bot.i18n import _
from bot.messages import esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.directory import active_members, load_branch
from bot.services.errors import InvalidInput
from bot.services.permissions import require_branch_dashboard
from bot.services.sheets import Sheet, xlsx_bytes


async def branch_page(deps: Deps, actor: Actor, branch_id: int, period: str) -> Page:
    if period not in PERIODS:
        raise InvalidInput(_("Unknown period."))
    async with deps.db.session() as s:
        branch = await load_branch(s, branch_id)
        require_branch_dashboard(actor, branch.id, branch.org_id)
        members = await active_members(s, branch_id)
    rows = "".join(f'<tr><td><a href="/dashboard/member/{pid}">{esc(name)}</a></td></tr>' for pid, name in members)
    body = (f'<table class="table"><thead><tr><th>{esc(_("Member"))}</th></tr></thead>'
            f'<tbody>{rows}</tbody></table>')
    return Page(title=branch.name, body=body, period=period)


async def branch_export(deps: Deps, actor: Actor, branch_id: int, table: str, period: str) -> Download:
    if period not in PERIODS or table != "members":
        raise InvalidInput(_("Unknown period."))
    async with deps.db.session() as s:
        branch = await load_branch(s, branch_id)
        require_branch_dashboard(actor, branch.id, branch.org_id, "dashboard.export")
        members = await active_members(s, branch_id)
        await audit.record(s, at=deps.clock.now(), actor_person_id=actor.person_id, action="dashboard.export",
                           org_id=branch.org_id, branch_id=branch_id, target=f"branch:{branch_id}:{table}")
    data = xlsx_bytes([Sheet(_("Members"), [_("Member")], [[name] for _pid, name in members])])
    return Download(data, f"chi-bo-{branch_id}-{table}.xlsx")
