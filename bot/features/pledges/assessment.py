"""Pledges: the member's mid-year self-check and year-end self-assessment (and its draft from the records)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.pledges.access import PledgeUseCase
from bot.features.pledges.models import Pledge, PledgeReview
from bot.features.pledges.reads import year_record
from bot.features.pledges.texts import LEVELS, yearend_draft
from bot.i18n import _
from bot.kernel.callbacks import StaleButton
from bot.messages import Reply, esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.directory import reviewer_ids
from bot.services.errors import Conflict, PermissionDenied
from bot.services.extensions import Extensions
from bot.services.notify import notify
from storage.models.org import Branch
from storage.models.people import Person

log = logging.getLogger("hocbac.pledges")


REVIEW_MAX = 3000


async def build_yearend_draft(s: AsyncSession, ext: Extensions, p: Pledge, tz: ZoneInfo) -> str:
    return yearend_draft(await year_record(s, ext, p, tz))


class SelfAssessment(PledgeUseCase):
    async def _own_pledge(self, s: AsyncSession, actor: Actor, pledge_id: int) -> Pledge:
        p = await s.get(Pledge, pledge_id)
        if p is None or p.person_id != actor.person_id:
            log.warning("pledge button of someone else: person=%s pledge=%s", actor.person_id, pledge_id)
            raise PermissionDenied(_("Sorry, you are not allowed to do that."))
        return p

    async def require_own_pledge(self, actor: Actor, pledge_id: int) -> None:
        async with self.deps.db.session() as s:
            await self._own_pledge(s, actor, pledge_id)

    async def save_midyear(self, actor: Actor, pledge_id: int, text: str) -> None:
        now = self.now()
        async with self.deps.db.session() as s:
            p = await self._own_pledge(s, actor, pledge_id)
            row = (
                await s.execute(
                    select(PledgeReview).where(PledgeReview.pledge_id == p.id, PledgeReview.kind == "midyear")
                )
            ).scalar_one_or_none()
            row = row or PledgeReview(pledge_id=p.id, person_id=p.person_id, kind="midyear", created_at=now)
            row.text, row.status, row.submitted_at = text, "submitted", now
            s.add(row)

    async def yearend_review(self, actor: Actor, review_id: int) -> PledgeReview:
        async with self.deps.db.session() as s:
            r = await s.get(PledgeReview, review_id)
            if r is None or r.person_id != actor.person_id or r.kind != "yearend":
                log.warning(
                    "year-end button of someone else: person=%s review=%s", actor.person_id, review_id
                )
                raise PermissionDenied(_("Sorry, you are not allowed to do that."))
            return r

    async def edit_yearend(self, actor: Actor, review_id: int, text: str) -> PledgeReview:
        async with self.deps.db.session() as s:
            r = await s.get(PledgeReview, review_id)
            if r is None or r.person_id != actor.person_id or r.kind != "yearend":
                raise PermissionDenied(_("Sorry, you are not allowed to do that."))
            if r.status == "submitted":
                raise Conflict(_("Your self-assessment was already sent to the secretary."))
            r.text = text
            s.add(r)
            return r

    async def submit_yearend(self, actor: Actor, review_id: int, level: str) -> PledgeReview:
        if level not in LEVELS:
            raise StaleButton(f"unknown level {level!r}")
        now = self.now()
        async with self.deps.db.session() as s:
            r = await _own_yearend(s, actor, review_id, "submit")
            if r.status == "submitted":
                raise Conflict(_("Your self-assessment was already sent to the secretary."))
            r.level, r.status, r.submitted_at = level, "submitted", now
            s.add(r)
            p = await s.get(Pledge, r.pledge_id)
            assert p is not None
            branch = await s.get(Branch, p.branch_id)
            assert branch is not None
            person = await s.get(Person, r.person_id)
            name = person.display_name if person else "?"
            year, text = p.year, r.text

            def render() -> Reply:
                return Reply(
                    text=_(
                        "📄 <b>Year-end self-assessment {year}</b> — {name}\n"
                        "Self-assessed level: <b>{level}</b>\n\n{text}"
                    ).format(year=year, name=esc(name), level=LEVELS[level](), text=esc(text))
                )

            await self._tell_reviewers(s, actor, r, p, branch, "sent", render, "pledge.yearend", now)
            return r

    async def withdraw_yearend(self, actor: Actor, review_id: int) -> PledgeReview:
        """Take a sent self-assessment back to a draft, until the secretary acts on it (only a review whose
        status is still "submitted" can be withdrawn). The secretaries are told."""
        now = self.now()
        async with self.deps.db.session() as s:
            r = await _own_yearend(s, actor, review_id, "withdraw")
            if r.status != "submitted":
                raise Conflict(_("Comrade, this self-assessment is not waiting with the secretary, so there is "
                                 "nothing to withdraw."))
            r.level, r.status, r.submitted_at = None, "draft", None
            s.add(r)
            p = await s.get(Pledge, r.pledge_id)
            assert p is not None
            branch = await s.get(Branch, p.branch_id)
            assert branch is not None
            person = await s.get(Person, r.person_id)
            name = person.display_name if person else "?"
            year = p.year

            def render() -> Reply:
                return Reply(
                    text=_(
                        "↩️ {name} has withdrawn the year-end self-assessment {year} to revise it; it will "
                        "come again when sent."
                    ).format(year=year, name=esc(name))
                )

            await self._tell_reviewers(s, actor, r, p, branch, "withdrawn", render, "pledge.yearend_withdraw", now)
            return r

    async def _tell_reviewers(self, s: AsyncSession, actor: Actor, r: PledgeReview, p: Pledge, branch: Branch,
                              event: str, render: Callable[[], Reply], action: str, now: datetime) -> None:
        """Tell the member's reviewers (never the member themself) that a self-assessment was sent or
        withdrawn, and audit it. Each sending is a new notice: one withdrawn and sent again is told again."""
        nonce = secrets.token_hex(4)
        for manager_id in await reviewer_ids(s, branch, r.person_id):
            await notify(s, self.deps, manager_id, key=f"pledge_yearend_{event}:{r.id}:{manager_id}:{nonce}",
                         kind="pledge_to_approve", render=render, branch_id=p.branch_id)
        await audit.record(s, at=now, actor_person_id=actor.person_id, action=action, org_id=p.org_id,
                           branch_id=p.branch_id, target=f"review:{r.id}")


async def _own_yearend(s: AsyncSession, actor: Actor, review_id: int, verb: str) -> PledgeReview:
    """The actor's own year-end self-assessment; anyone else's (or another kind) is refused and logged."""
    r = await s.get(PledgeReview, review_id)
    if r is None or r.person_id != actor.person_id or r.kind != "yearend":
        log.warning("year-end %s of someone else: person=%s review=%s", verb, actor.person_id, review_id)
        raise PermissionDenied(_("Sorry, you are not allowed to do that."))
    return r
