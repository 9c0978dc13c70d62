"""Pledges: the member's own pledge — the draft, starting a fix or an amendment, and submitting it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.pledges.access import PledgeUseCase
from bot.features.pledges.callbacks import DecidePledge, PledgeChanges, PledgeHistoryView
from bot.features.pledges.models import Pledge, PledgeItem, PledgeStatus, PledgeVersion
from bot.features.pledges.reads import pledge_content, theme_for
from bot.features.pledges.texts import content_of, render_card
from bot.features.pledges.validation import validate
from bot.i18n import _
from bot.messages import Button, Reply
from bot.services import audit
from bot.services.actor import Actor, BranchSeat
from bot.services.directory import reviewer_ids
from bot.services.errors import Conflict, NotFound
from bot.services.notify import notify
from bot.services.permissions import require_active_member
from storage.models.org import Branch


@dataclass
class MyPledge:
    seat: BranchSeat
    year: int
    pledge: Pledge | None
    draft: dict[str, Any] | None
    theme: str | None = None


class PledgeDrafting(PledgeUseCase):
    async def mine(self, actor: Actor) -> MyPledge:
        seat = self._seat(actor)
        year = self.year()
        async with self.deps.db.session() as s:
            p = await self._mine(s, actor, seat, year)
            theme = await theme_for(s, self.deps.ext, seat.org_id, year)
            return MyPledge(seat, year, p, dict(p.draft) if p and p.draft else None, theme)

    async def save_draft(self, actor: Actor, data: dict[str, Any], mode: str | None = None) -> None:
        """Keep the form's answers so the member can resume later (a new pledge, a fix or an amendment)."""
        seat = self._seat(actor)
        year = self.year()
        now = self.now()
        async with self.deps.db.session() as s:
            p = await self._mine(s, actor, seat, year)
            if p is None:
                p = Pledge(
                    person_id=actor.person_id,
                    branch_id=seat.branch_id,
                    org_id=seat.org_id,
                    year=year,
                    created_at=now,
                )
            elif p.status == PledgeStatus.SUBMITTED:
                raise Conflict(_("Your pledge is waiting for the secretary; it cannot be changed now."))
            old_mode = (p.draft or {}).get("mode")
            p.draft = content_of(data) | {"mode": mode or data.get("mode") or old_mode or "new"}
            p.updated_at = now
            s.add(p)

    async def discard_draft(self, actor: Actor) -> None:
        seat = self._seat(actor)
        async with self.deps.db.session() as s:
            p = await self._mine(s, actor, seat, self.year())
            if p is None:
                return
            if p.version == 0:
                await s.delete(p)
            else:
                p.draft = None
                s.add(p)

    async def start_edit(self, actor: Actor, mode: str) -> dict[str, Any]:
        """Copy the pledge into a draft: ``fix`` a returned pledge or ``amend`` an approved one."""
        seat = self._seat(actor)
        async with self.deps.db.session() as s:
            p = await self._mine(s, actor, seat, self.year())
            if p is None:
                raise NotFound(_("You have no pledge this year yet. Send /dangky to register."))
            if p.draft:
                return dict(p.draft)
            if mode == "amend" and p.status != PledgeStatus.APPROVED:
                raise Conflict(_("Only an approved pledge can be amended."))
            if mode == "fix" and p.status != PledgeStatus.RETURNED:
                raise Conflict(_("This pledge was not returned for changes."))
            p.draft = await pledge_content(s, p) | {"mode": mode}
            s.add(p)
            return dict(p.draft)

    async def submit(self, actor: Actor) -> Pledge:
        """Send the draft to the branch's managers as one notice with approve/return buttons."""
        seat = self._seat(actor)
        require_active_member(actor, seat.branch_id, "pledge_submit")
        now = self.now()
        async with self.deps.db.session() as s:
            p = await self._mine(s, actor, seat, self.year())
            if p is None or not p.draft:
                raise NotFound(_("There is no draft to send. Send /dangky to start."))
            content = content_of(p.draft)
            validate(content)
            await self._apply_content(s, p, content)
            p.version += 1
            p.status = PledgeStatus.SUBMITTED.value
            p.draft = None
            p.secretary_comment = None
            p.submitted_at = p.updated_at = now
            p.first_submitted_at = p.first_submitted_at or now
            s.add(p)
            await s.flush()
            saved = await pledge_content(s, p)
            s.add(PledgeVersion(pledge_id=p.id, version=p.version, content=saved, submitted_at=now))
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="pledge.submit",
                org_id=seat.org_id,
                branch_id=seat.branch_id,
                target=f"pledge:{p.id}:v{p.version}",
            )
            await self._notify_submitted(s, p, saved, actor.display_name, seat.branch_name)
            return p

    async def _apply_content(self, s: AsyncSession, p: Pledge, content: dict[str, Any]) -> None:
        p.duty, p.shortcoming = content["duty"], content["shortcoming"]
        p.remedy, p.commitment = content["remedy"], content["commitment"]
        if p.id is None:
            s.add(p)
            await s.flush()
        existing = {
            it.id: it
            for it in (await s.execute(select(PledgeItem).where(PledgeItem.pledge_id == p.id)))
            .scalars()
            .all()
        }
        kept: set[int] = set()
        for pos, it in enumerate(content["items"]):
            row = existing.get(it.get("id")) if it.get("id") else None
            if row is None:
                row = PledgeItem(pledge_id=p.id, created_version=p.version + 1)
            row.position, row.what, row.criterion, row.when_text = (
                pos,
                it["what"],
                it["criterion"],
                it["when"],
            )
            row.active = True
            s.add(row)
            if row.id is not None:
                kept.add(row.id)
        for item_id, row in existing.items():
            if item_id not in kept:
                row.active = False  # removed by an amendment: kept so linked deeds and history stay
                s.add(row)
        await s.flush()

    async def _notify_submitted(
        self, s: AsyncSession, p: Pledge, content: dict[str, Any], name: str, branch_name: str
    ) -> None:
        branch = await s.get(Branch, p.branch_id)
        assert branch is not None
        theme = await theme_for(s, self.deps.ext, p.org_id, p.year)

        def render() -> Reply:
            head = (
                _("📝 <b>Pledge amendment to approve</b>")
                if p.approved_version
                else _("📝 <b>New pledge to approve</b>")
            )
            text = (
                head
                + "\n"
                + render_card(content, year=p.year, name=name, branch=branch_name, theme=theme)
            )
            return Reply(
                text=text,
                buttons=[
                    [
                        Button(_("✅ Approve pledge"), DecidePledge("ok", p.id, p.version).pack()),
                        Button(_("↩️ Return with a comment"), DecidePledge("back", p.id, p.version).pack()),
                    ],
                    # An amendment: what it changes against the approved version, deed by deed.
                    *([[Button(_("🔀 Changes in version {n}").format(n=p.version),
                                PledgeChanges(p.id, p.version).pack())]] if p.approved_version else []),
                    # Sent before: the earlier versions and the return comments.
                    *([[Button(_("🗂 History"), PledgeHistoryView(p.id).pack())]] if p.version > 1 else []),
                ],
            )

        for manager_id in await reviewer_ids(s, branch, p.person_id):  # never the author
            await notify(
                s,
                self.deps,
                manager_id,
                key=f"pledge_submit:{p.id}:v{p.version}:{manager_id}",
                kind="pledge_to_approve",
                render=render,
                branch_id=p.branch_id,
            )
