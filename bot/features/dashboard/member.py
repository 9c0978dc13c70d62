"""PLACEHOLDER (dash-core): a member's page, replaced by dash-branch's real one at merge. It keeps the
contract: the member themself, their branch's managers or the committee; the member's own name."""

from __future__ import annotations

from sqlalchemy import select

from bot.features.dashboard.page import Page
from bot.i18n import _
from bot.messages import esc
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.errors import NotFound
from bot.services.permissions import require_member_dashboard
from storage.models.org import Branch
from storage.models.people import Membership, Person


async def member_page(deps: Deps, actor: Actor, person_id: int, year: int | None) -> Page:
    async with deps.db.session() as s:
        person = await s.get(Person, person_id)
        if person is None:
            raise NotFound(_("That person does not exist."))
        seats = (await s.execute(select(Branch.id, Branch.org_id).join(
            Membership, Membership.branch_id == Branch.id).where(Membership.person_id == person_id))).all()
        require_member_dashboard(actor, person_id, [(int(b), int(o)) for b, o in seats])
    year_text = esc(str(year)) if year else esc(_("this year"))
    body = f'<p class="lead">{esc(person.display_name)}</p><p>{year_text}</p>'
    return Page(title=person.display_name, body=body)
