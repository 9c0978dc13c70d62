"""PLACEHOLDER (dash-core): the committee's page, replaced by dash-committee's real one at merge. It keeps
the contract: the permission check, and every branch of the đảng bộ by name, one row each."""

from __future__ import annotations

from bot.features.dashboard.page import PERIODS, Download, Page
from bot.i18n import _
from bot.messages import esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.directory import org_branches
from bot.services.errors import InvalidInput
from bot.services.permissions import require_org_dashboard
from bot.services.sheets import Sheet, xlsx_bytes


def _period(period: str) -> str:
    if period not in PERIODS:
        raise InvalidInput(_("Unknown period."))
    return period


async def committee_home(deps: Deps, actor: Actor, org_id: int, period: str) -> Page:
    require_org_dashboard(actor, org_id)
    async with deps.db.session() as s:
        org, branches = await org_branches(s, org_id)
    rows = "".join(f'<tr><td><a href="/dashboard/branch/{b.id}">{esc(b.name)}</a></td></tr>' for b in branches)
    body = (f'<table class="table"><thead><tr><th>{esc(_("Branch"))}</th></tr></thead>'
            f'<tbody>{rows}</tbody></table>'
            f'<p><a class="button" href="/dashboard/org/{org_id}/audit">{esc(_("Audit log"))}</a></p>')
    return Page(title=org.name, body=body, period=_period(period))


async def committee_export(deps: Deps, actor: Actor, org_id: int, period: str) -> Download:
    require_org_dashboard(actor, org_id, "dashboard.export")
    async with deps.db.session() as s:
        _org, branches = await org_branches(s, org_id)
        await audit.record(s, at=deps.clock.now(), actor_person_id=actor.person_id, action="dashboard.export",
                           org_id=org_id, target=f"org:{org_id}", details={"period": _period(period)})
    data = xlsx_bytes([Sheet(_("Branches"), [_("Branch")], [[b.name] for b in branches])])
    return Download(data, f"dang-bo-{org_id}.xlsx")
