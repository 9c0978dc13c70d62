"""Foundation ticks: expire stale outbox rows and remind managers of join requests left waiting."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from bot.features.onboarding.callbacks import JoinDecision
from bot.i18n import _
from bot.messages import Button, Reply, esc
from bot.services.deps import Services
from bot.services.directory import manager_ids
from bot.services.notify import notify
from storage.models.org import Branch
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.models.people import Membership, MembershipStatus, Person
from storage.models.system import ProcessedUpdate

JOIN_REMINDER_AFTER = timedelta(days=2)


async def housekeeping(services: Services, now: datetime, since: datetime | None) -> None:
    async with services.deps.db.session() as s:
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING.value, OutboxMessage.expires_at.is_not(None),
                   OutboxMessage.expires_at < now)
            .values(status=OutboxStatus.SKIPPED.value, last_error="expired before it could be sent")
        )
        await s.execute(delete(ProcessedUpdate).where(ProcessedUpdate.at < now - timedelta(days=2)))


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
                        name=esc(person.display_name), branch=esc(branch.name)),
                    buttons=[[Button(_("✅ Approve"), JoinDecision("ok", m.id).pack()),
                              Button(_("❌ Reject"), JoinDecision("no", m.id).pack())]],
                )

            for manager_id in await manager_ids(s, branch):
                await notify(
                    s, services.deps, manager_id,
                    key=f"join_reminder:{m.id}:{m.requested_at.isoformat()}:{manager_id}",
                    kind="join_reminder", render=render, branch_id=branch.id)
