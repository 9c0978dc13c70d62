"""Good deeds: "nêu gương" nominations after they are sent: the list, accept or decline with a comment, and
what an accepted one feeds (the monthly pack, the commendation shortlist through ``commended_deeds``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.deeds.access import DeedUseCase
from bot.features.deeds.models import Deed, DeedStatus, Nomination, NominationStatus
from bot.i18n import _
from bot.messages import Reply, esc
from bot.services.actor import Actor
from bot.services.directory import active_members
from bot.services.errors import Conflict, InvalidInput, NotFound
from bot.services.notify import notify
from bot.services.permissions import require_nomination_decider
from bot.text import branch_title, fold
from storage.models.org import Branch
from storage.models.people import Person

log = logging.getLogger("hocbac.deeds")

MAX_COMMENT = 500
LIST_LIMIT = 30


def nomination_status_label(status: str) -> str:
    return {
        NominationStatus.PENDING.value: _("waiting to be considered"),
        NominationStatus.ACCEPTED.value: _("recognised"),
        NominationStatus.DECLINED.value: _("not recognised"),
    }.get(status, status)


@dataclass
class NominationRow:
    nom: Nomination
    branch_name: str
    by_name: str


async def match_member(s: AsyncSession, branch_id: int, name: str) -> int | None:
    """The branch member the nomination names, when exactly one member's name ends the typed name ("đồng chí
    Trần Văn An" names Trần Văn An); None for someone outside the branch or an unclear name."""
    typed = f" {fold(name)}"
    found = [pid for pid, member in await active_members(s, branch_id)
             if fold(member) and typed.endswith(f" {fold(member)}")]
    return found[0] if len(found) == 1 else None


class NominationReview(DeedUseCase):
    async def listing(self, actor: Actor, *, pending_only: bool = False) -> list[NominationRow]:
        """Nominations of the branches the actor manages (secretary, deputy) or whose đảng bộ they serve on
        the committee; newest first. Empty for a plain member (they have nothing to decide)."""
        managed, orgs = actor.managed_branch_ids(), actor.admin_org_ids
        if not managed and not orgs and not actor.is_system_admin:
            return []
        async with self.deps.db.session() as s:
            q = (select(Nomination, Branch.name, Person.display_name)
                 .join(Branch, Branch.id == Nomination.branch_id)
                 .join(Person, Person.id == Nomination.nominated_by))
            if not actor.is_system_admin:
                q = q.where(or_(Nomination.branch_id.in_(managed or [0]), Branch.org_id.in_(list(orgs) or [0])))
            if pending_only:
                q = q.where(Nomination.status == NominationStatus.PENDING.value)
            rows = (await s.execute(q.order_by(Nomination.id.desc()).limit(LIST_LIMIT))).all()
            return [NominationRow(n, b, p) for n, b, p in rows]

    async def decide(self, actor: Actor, nomination_id: int, accept: bool, comment: str | None) -> Nomination:
        comment = " ".join((comment or "").split()) or None
        if comment and len(comment) > MAX_COMMENT:
            raise InvalidInput(_("That is too long. Please shorten it."))
        if not accept and not comment:
            raise InvalidInput(_("Please write a short comment: why is it not recognised?"))
        async with self.deps.db.session() as s:
            nom = await s.get(Nomination, nomination_id)
            if nom is None:
                raise NotFound(_("That nomination no longer exists."))
            branch = await s.get(Branch, nom.branch_id)
            assert branch is not None
            require_nomination_decider(actor, branch.id, branch.org_id, nom.nominated_by)  # type: ignore[arg-type]
            if nom.status != NominationStatus.PENDING.value:
                raise Conflict(_("This nomination was already decided: {status}.").format(
                    status=nomination_status_label(nom.status)))
            nom.status = (NominationStatus.ACCEPTED if accept else NominationStatus.DECLINED).value
            nom.comment, nom.decided_by, nom.decided_at = comment, actor.person_id, self.deps.clock.now()
            s.add(nom)
            name, status, bname = nom.name, nom.status, branch.name

            def text() -> str:
                out = _("🌱 Your nomination of <b>{name}</b> ({branch}): {status}.").format(
                    name=esc(name), branch=esc(branch_title(bname)), status=nomination_status_label(status))
                if comment:
                    out += "\n" + _("Comment: {comment}").format(comment=esc(comment))
                return out

            await notify(s, self.deps, nom.nominated_by, kind="deed_outcome", key=f"deed_nomination_done:{nom.id}",
                         render=lambda: Reply(text=text()), branch_id=branch.id)
            return nom


async def accepted_nominations(s: AsyncSession, branch_id: int, start: date, end: date) -> list[Nomination]:
    """Accepted nominations of the branch put forward in [start, end) (local days), oldest first."""
    rows = await s.execute(
        select(Nomination).where(
            Nomination.branch_id == branch_id,
            Nomination.status == NominationStatus.ACCEPTED.value,
            Nomination.day >= start,
            Nomination.day < end,
        ).order_by(Nomination.day, Nomination.id)
    )
    return list(rows.scalars().all())


async def _commended_deeds(s: AsyncSession, branch_id: int, year: int) -> dict[int, list[tuple[date, str]]]:
    """The ``commended_deeds`` provider: featured (biểu dương) deeds and accepted nominations naming a member,
    per member, in the year."""
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    out: dict[int, list[tuple[date, str]]] = {}
    deeds = await s.execute(
        select(Deed).where(Deed.branch_id == branch_id, Deed.status == DeedStatus.FEATURED.value,
                           Deed.erased.is_(False), Deed.day >= start, Deed.day < end).order_by(Deed.day, Deed.id)
    )
    for d in deeds.scalars():
        out.setdefault(d.person_id, []).append((d.day, d.text or _("(a voice note)")))
    for nom in await accepted_nominations(s, branch_id, start, end):
        if nom.person_id is not None and nom.day is not None:
            out.setdefault(nom.person_id, []).append((nom.day, _("Nominated as a good example: {what}").format(
                what=nom.what)))
    for items in out.values():
        items.sort(key=lambda it: it[0])
    return out
