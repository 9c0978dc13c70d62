"""Good deeds: the secretary's review — pending deeds, accept, commend (and share) or return, accept all."""

from __future__ import annotations

import logging
from typing import Literal

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.deeds.callbacks import ResubmitDeed, ShareDeed
from bot.features.deeds.cards import deed_card, status_label
from bot.features.deeds.digest import pending_deeds
from bot.features.deeds.models import Deed, DeedStatus, ShareConsent
from bot.features.deeds.sharing import DeedSharing
from bot.i18n import _
from bot.messages import Button, Reply, esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.errors import Conflict, InvalidInput, NotFound
from bot.services.notify import notify
from bot.services.permissions import can_review_item, require_branch_manager, require_item_reviewer
from storage.models.org import Branch
from storage.models.people import Person

log = logging.getLogger("hocbac.deeds")


Action = Literal["accept", "feature", "return"]


class DeedReviewing(DeedSharing):
    async def pending(self, actor: Actor, branch_id: int) -> list[tuple[Deed, str]]:
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                raise NotFound(_("That branch does not exist."))
            require_branch_manager(actor, branch.id, branch.org_id, "deed_pending")
            # A secretary's own deeds wait for the deputy or the committee, not in their own queue.
            return [
                (d, n) for d, n in await pending_deeds(s, branch_id)
                if can_review_item(actor, branch.id, branch.org_id, d.person_id)
            ]

    async def review(
        self, actor: Actor, deed_id: int, action: Action, reason: str | None = None
    ) -> tuple[Deed, str]:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            deed, branch = await self._load(s, deed_id)
            require_item_reviewer(actor, branch.id, branch.org_id, deed.person_id, "deed", f"deed_{action}")
            if deed.status != DeedStatus.PENDING.value:
                log.warning(
                    "deed %s: %s by person %s refused, already %s",
                    deed_id,
                    action,
                    actor.person_id,
                    deed.status,
                )
                raise Conflict(
                    _("This good deed has already been reviewed ({status}).").format(
                        status=status_label(deed.status)
                    )
                )
            if action == "return":
                reason = " ".join((reason or "").split())
                if not reason:
                    raise InvalidInput(_("Please write a reason, so the member knows what to change."))
                deed.return_reason = reason[:500]
            deed.status = {
                "accept": DeedStatus.ACCEPTED,
                "feature": DeedStatus.FEATURED,
                "return": DeedStatus.RETURNED,
            }[action].value
            deed.reviewed_by, deed.reviewed_at = actor.person_id, now
            s.add(deed)
            await self._tell_outcome(s, deed, branch)
            if deed.status == DeedStatus.FEATURED.value and deed.share == ShareConsent.YES.value:
                await self._post_to_group(s, deed, branch)
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action=f"deed.{action}",
                org_id=branch.org_id,
                branch_id=branch.id,
                target=f"deed:{deed.id}",
            )
            person = await s.get(Person, deed.person_id)
            return deed, person.display_name if person else "?"

    async def reviewable(self, actor: Actor, deed_id: int) -> tuple[Deed, str]:
        """Check before asking a secretary for a return reason: their branch, still pending."""
        async with self.deps.db.session() as s:
            deed, branch = await self._load(s, deed_id)
            require_item_reviewer(actor, branch.id, branch.org_id, deed.person_id, "deed", "deed_review")
            if deed.status != DeedStatus.PENDING.value:
                log.warning(
                    "deed %s: review by person %s refused, already %s", deed_id, actor.person_id, deed.status
                )
                raise Conflict(
                    _("This good deed has already been reviewed ({status}).").format(
                        status=status_label(deed.status)
                    )
                )
            person = await s.get(Person, deed.person_id)
            return deed, person.display_name if person else "?"

    async def accept_all(self, actor: Actor, branch_id: int, up_to_id: int) -> int:
        """Accept every deed still pending in the branch up to ``up_to_id`` (what the digest showed)."""
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                raise NotFound(_("That branch does not exist."))
            require_branch_manager(actor, branch.id, branch.org_id, "deed_accept_all")
            deeds = (
                (
                    await s.execute(
                        select(Deed).where(
                            Deed.branch_id == branch_id,
                            Deed.status == DeedStatus.PENDING.value,
                            Deed.id <= up_to_id,
                            Deed.erased.is_(False),
                        )
                    )
                )
                .scalars()
                .all()
            )
            # "Accept all" never includes the actor's own deeds.
            deeds = [d for d in deeds if can_review_item(actor, branch.id, branch.org_id, d.person_id)]
            for deed in deeds:
                deed.status = DeedStatus.ACCEPTED.value
                deed.reviewed_by, deed.reviewed_at = actor.person_id, now
                s.add(deed)
                await self._tell_outcome(s, deed, branch)
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="deed.accept_all",
                org_id=branch.org_id,
                branch_id=branch.id,
                details={"count": len(deeds)},
            )
            return len(deeds)

    async def _tell_outcome(self, s: AsyncSession, deed: Deed, branch: Branch) -> None:
        person = await s.get(Person, deed.person_id)
        if person is None:
            return
        name = person.display_name

        def render() -> Reply:
            day = deed.day.strftime("%d/%m")
            buttons: list[list[Button]] = []
            if deed.status == DeedStatus.ACCEPTED.value:
                text = _("✅ Your good deed of {day} has been recorded by the branch. Thank you!").format(
                    day=day
                )
            elif deed.status == DeedStatus.FEATURED.value:
                text = _(
                    "🌟 Your good deed of {day} has been commended by the branch. It will be mentioned at "
                    "the monthly meeting."
                ).format(day=day)
                if deed.share == ShareConsent.ASK.value and branch.group_chat_id:
                    text += "\n" + _("May we share it in the branch group?")
                    buttons = [
                        [
                            Button(_("Yes, share it"), ShareDeed(True, deed.id).pack()),
                            Button(_("No, keep it private"), ShareDeed(False, deed.id).pack()),
                        ]
                    ]
            else:
                text = _(
                    "↩️ Your good deed of {day} was returned by the secretary.\nReason: {reason}\n"
                    "You can report it again with /viectot."
                ).format(day=day, reason=esc(deed.return_reason))
                buttons = [[Button(_("✏️ Edit and send again"), ResubmitDeed(deed.id or 0).pack())]]
            text += "\n\n" + deed_card(deed, name)
            return Reply(text=text, buttons=buttons)

        await notify(
            s,
            self.deps,
            deed.person_id,
            # A deed returned, corrected and sent again can be decided again: each decision is told.
            key=f"deed_outcome:{deed.id}:{deed.status}:{int(deed.reviewed_at.timestamp()) if deed.reviewed_at else 0}",
            kind="deed_outcome",
            render=render,
            branch_id=branch.id,
        )
