"""PLACEHOLDER (dash-core): the đảng bộ's audit list, replaced by dash-branch's real one at merge."""

from __future__ import annotations

from sqlalchemy import select

from bot.clock import as_utc
from bot.features.dashboard.page import Page
from bot.i18n import _
from bot.messages import esc
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.directory import org_branches
from bot.services.permissions import require_org_dashboard
from storage.models.people import Person
from storage.models.system import AuditLog


async def audit_page(deps: Deps, actor: Actor, org_id: int) -> Page:
    require_org_dashboard(actor, org_id, "dashboard.audit")
    tz = deps.settings.tz
    async with deps.db.session() as s:
        org, _branches = await org_branches(s, org_id)
        rows = (await s.execute(select(AuditLog.at, Person.display_name, AuditLog.action)
                                .outerjoin(Person, Person.id == AuditLog.actor_person_id)
                                .where(AuditLog.org_id == org_id).order_by(AuditLog.at.desc()).limit(200))).all()
    cells = "".join(f"<tr><td>{esc(name or '')}</td><td>{as_utc(at).astimezone(tz):%d/%m/%Y %H:%M}</td>"
                    f"<td>{esc(action)}</td></tr>" for at, name, action in rows)
    body = (f'<table class="table"><thead><tr><th>{esc(_("Who"))}</th><th>{esc(_("When"))}</th>'
            f'<th>{esc(_("What"))}</th></tr></thead><tbody>{cells}</tbody></table>')
    return Page(title=f"{org.name} — {_('Audit log')}", body=body,
                crumbs=[(org.name, f"/dashboard/org/{org_id}")])
