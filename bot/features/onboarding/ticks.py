"""Joining: a join request still waiting after two days is reminded to the branch's managers once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.features.onboarding.callbacks import join_buttons
from bot.i18n import _
from bot.messages import Reply, esc
from bot.services.deps import Services
from bot.services.directory import manager_ids
from bot.services.notify import notify
from bot.text import branch_title
from storage.models.org import Branch
from storage.models.people import Membership, MembershipStatus, Person

JOIN_REMINDER_AFTER = timedelta(days=2)


async def join_request_reminders(services: Services, now: datetime, since: datetime | None) -> None:
    """A join request still waiting after two days is reminded to the managers once."""
    async with services.deps.db.session() as s:
        rows = (
            await s.execute(
                select(Membership, Person, Branch)
                .join(Person, Person.id == Membership.person_id)
                .join(Branch, Branch.id == Membership.branch_id)
                .where(Membership.status == MembershipStatus.PENDING.value,
                       Membership.requested_at <= now - JOIN_REMINDER_AFTER)
            )
        ).all()
        for m, person, branch in rows:
            def render(m: Membership = m, person: Person = person, branch: Branch = branch) -> Reply:
                return Reply(
                    text=_("⏰ {name} has been waiting more than two days to join branch {branch}.").format(
                        name=esc(person.display_name), branch=esc(branch_title(branch.name))),
                    buttons=join_buttons(m.id or 0),
                )

            for manager_id in await manager_ids(s, branch):
                await notify(
                    s, services.deps, manager_id,
                    key=f"join_reminder:{m.id}:{m.requested_at.isoformat()}:{manager_id}",
                    kind="join_reminder", render=render, branch_id=branch.id)
