"""Leaving and erasing (/xoadulieu). Each feature declares an eraser for the personal data it holds."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.i18n import _
from bot.messages import esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.org import OrgService
from storage.models.org import Branch
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.models.people import Identity, Membership, MembershipStatus, Person


class PrivacyService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def erase(self, actor: Actor) -> int:
        """Anonymise the person, end their memberships, cancel what is queued for them, tell secretaries.
        Branch totals keep an anonymous row so past figures stay right. Returns branches notified."""
        now = self.deps.clock.now()
        org = OrgService(self.deps)
        async with self.deps.db.session() as s:
            person = await s.get(Person, actor.person_id)
            assert person is not None
            rows = (
                await s.execute(
                    select(Membership, Branch).join(Branch, Branch.id == Membership.branch_id)
                    .where(Membership.person_id == person.id)
                )
            ).all()
            old_name = person.display_name
            for m, branch in rows:
                if m.status in (MembershipStatus.ACTIVE, MembershipStatus.PENDING):
                    m.status, m.left_at = MembershipStatus.LEFT.value, now
                    s.add(m)
                    await org.notify_managers(
                        s, branch, key=f"erased:{person.id}:{branch.id}",
                        text_factory=lambda b=branch: _(
                            "ℹ️ {name} has left branch {branch} and asked for their data to be deleted."
                        ).format(name=esc(old_name), branch=esc(b.name)),
                    )
            for _name, fn in self.deps.ext.erasers:
                await fn(s, person.id, self.deps)
            await s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.person_id == person.id, OutboxMessage.status == OutboxStatus.PENDING.value)
                .values(status=OutboxStatus.CANCELLED.value)
            )
            idents = (await s.execute(select(Identity).where(Identity.person_id == person.id))).scalars().all()
            for ident in idents:
                # The account is detached, so writing again starts afresh as a new person.
                ident.external_id = f"erased:{ident.id}"
                ident.chat_id = ""
                ident.display_name = ident.username = ""
                ident.reachable, ident.unreachable_reason = False, "erased"
                s.add(ident)
            person.display_name = _("(deleted)")
            person.erased_at = now
            s.add(person)
            await audit.record(s, at=now, actor_person_id=None, action="person.erase", target=f"person:{person.id}")
            return len(rows)
