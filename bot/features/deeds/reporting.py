"""Good deeds: a member reports a deed (or the secretary records one for them), corrects or withdraws it."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.deeds.access import DeedUseCase
from bot.features.deeds.models import Deed, DeedStatus, ShareConsent
from bot.i18n import _
from bot.services import audit
from bot.services.actor import Actor
from bot.services.errors import Conflict, InvalidInput, NotFound
from bot.services.permissions import can_manage_branch, require_branch_manager
from storage.models.org import Branch
from storage.models.people import Membership, MembershipStatus

log = logging.getLogger("hocbac.deeds")


MAX_TEXT = 2000


MAX_PHOTOS = 3


MAX_BACK_DAYS = 60


_KEY_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class DeedInput:
    """What a member (or a secretary on their behalf) reports. Keys are media-store keys."""

    day: date
    text: str = ""
    voice_key: str | None = None
    category: str = ""
    photo_keys: list[str] = field(default_factory=list)
    pledge_item_id: int | None = None
    share: str = ShareConsent.ASK.value
    source: str = "form"


def cut_text(text: str) -> tuple[str, bool]:
    """Trim to the stored length; returns (text, was_cut). Used for plain messages, never silently."""
    text = text.strip()
    if len(text) <= MAX_TEXT:
        return text, False
    return text[: MAX_TEXT - 1].rstrip() + "…", True


class DeedReporting(DeedUseCase):
    def _validate(self, data: DeedInput, categories: list[str]) -> DeedInput:
        text = (data.text or "").strip()
        if not text and not data.voice_key:
            raise InvalidInput(_("Please write what you did (or send a voice note)."))
        if len(text) > MAX_TEXT:
            raise InvalidInput(
                _("That is too long ({length} characters). Please keep it within {n} characters.").format(
                    length=len(text), n=MAX_TEXT
                )
            )
        today = self.today()
        if data.day > today:
            raise InvalidInput(_("That date is in the future. Please choose a date up to today."))
        if data.day < today - timedelta(days=MAX_BACK_DAYS):
            raise InvalidInput(_("That date is more than {n} days ago.").format(n=MAX_BACK_DAYS))
        keys = [k for k in data.photo_keys if k]
        if len(keys) > MAX_PHOTOS:
            raise InvalidInput(_("At most {n} photos per good deed.").format(n=MAX_PHOTOS))
        for key in [*keys, *([data.voice_key] if data.voice_key else [])]:
            if not _KEY_RE.match(key):
                raise InvalidInput(_("Unknown file."))
        if data.share not in {c.value for c in ShareConsent}:
            raise InvalidInput(_("Please choose one of the options."))
        category = data.category if data.category in categories else categories[-1]
        return DeedInput(
            day=data.day,
            text=text,
            voice_key=data.voice_key,
            category=category,
            photo_keys=keys,
            pledge_item_id=data.pledge_item_id,
            share=data.share,
            source=data.source,
        )

    async def pledge_options(self, actor: Actor) -> list[tuple[int, str]]:
        """The member's pledge items this year (from the pledges feature, when it is installed)."""
        provider = self.deps.ext.providers.pledge_items
        if provider is None:
            return []
        async with self.deps.db.session() as s:
            return list(await provider(s, actor.person_id, self.today().year))

    async def report(self, actor: Actor, data: DeedInput, branch_id: int | None = None) -> Deed:
        branch_id = self._branch_for(actor, branch_id)
        return await self._create(actor, actor.person_id, branch_id, data, recorded_by=None)

    async def record_for(self, actor: Actor, person_id: int, branch_id: int, data: DeedInput) -> Deed:
        """A secretary records a deed for a member (often an elderly member without a phone)."""
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                raise NotFound(_("That branch does not exist."))
            require_branch_manager(actor, branch.id, branch.org_id, "deed_record_for")
            member = (
                await s.execute(
                    select(Membership).where(
                        Membership.person_id == person_id,
                        Membership.branch_id == branch_id,
                        Membership.status == MembershipStatus.ACTIVE.value,
                    )
                )
            ).scalar_one_or_none()
            if member is None:
                raise InvalidInput(_("That person is not an active member of this branch."))
        data.source = "behalf"
        return await self._create(actor, person_id, branch_id, data, recorded_by=actor.person_id)

    async def _create(
        self, actor: Actor, person_id: int, branch_id: int, data: DeedInput, recorded_by: int | None
    ) -> Deed:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            assert branch is not None
            clean = self._validate(data, await self._categories(s, branch.org_id))
            deed = Deed(
                person_id=person_id,
                branch_id=branch_id,
                text=clean.text,
                voice_key=clean.voice_key,
                day=clean.day,
                category=clean.category,
                photo_keys=clean.photo_keys,
                pledge_item_id=clean.pledge_item_id,
                share=clean.share,
                source=clean.source,
                recorded_by=recorded_by,
                created_at=now,
                status=DeedStatus.PENDING.value,
            )
            s.add(deed)
            await s.flush()
            if recorded_by is not None:
                await audit.record(
                    s,
                    at=now,
                    actor_person_id=actor.person_id,
                    action="deed.record_for",
                    org_id=branch.org_id,
                    branch_id=branch.id,
                    target=f"deed:{deed.id}",
                )
            log.info("deed %s reported for person %s (source %s)", deed.id, person_id, clean.source)
            return deed

    async def _own_pending(self, s: AsyncSession, actor: Actor, deed_id: int, action: str) -> Deed:
        deed, branch = await self._load(s, deed_id)
        if deed.person_id != actor.person_id and not (
            deed.recorded_by == actor.person_id and can_manage_branch(actor, branch.id, branch.org_id)
        ):
            log.warning(
                "deed %s: person %s tried to %s someone else's deed", deed_id, actor.person_id, action
            )
            raise NotFound(_("That good deed no longer exists."))
        if deed.status != DeedStatus.PENDING.value:
            log.info("deed %s: %s refused, status %s", deed_id, action, deed.status)
            raise Conflict(_("This good deed has already been reviewed, so it can no longer be changed."))
        return deed

    async def update(
        self,
        actor: Actor,
        deed_id: int,
        *,
        text: str | None = None,
        day: date | None = None,
        category: str | None = None,
    ) -> Deed:
        """Change a deed until it is reviewed (owner, or the secretary who recorded it)."""
        async with self.deps.db.session() as s:
            deed = await self._own_pending(s, actor, deed_id, "edit")
            branch = await s.get(Branch, deed.branch_id)
            assert branch is not None
            categories = await self._categories(s, branch.org_id)
            current = DeedInput(
                day=day or deed.day,
                text=deed.text if text is None else text,
                voice_key=deed.voice_key,
                category=category or deed.category,
                photo_keys=list(deed.photo_keys),
                pledge_item_id=deed.pledge_item_id,
                share=deed.share,
                source=deed.source,
            )
            if category is not None and category not in categories:
                raise InvalidInput(_("Please choose one of the options."))
            clean = self._validate(current, [*categories, deed.category])
            deed.text, deed.day, deed.category = clean.text, clean.day, clean.category
            deed.updated_at = self.deps.clock.now()
            s.add(deed)
            return deed

    async def returned_deed(self, actor: Actor, deed_id: int) -> Deed:
        """The member's own deed that the secretary returned (what "edit and send again" works on)."""
        async with self.deps.db.session() as s:
            return await self._own_returned(s, actor, deed_id)

    async def _own_returned(self, s: AsyncSession, actor: Actor, deed_id: int) -> Deed:
        deed, _branch = await self._load(s, deed_id)
        if deed.person_id != actor.person_id:
            log.warning("deed %s: person %s tried to resubmit someone else's deed", deed_id, actor.person_id)
            raise NotFound(_("That good deed no longer exists."))
        if deed.status != DeedStatus.RETURNED.value:
            raise Conflict(_("Comrade, this good deed is no longer returned, so there is nothing to send again."))
        return deed

    async def resubmit(self, actor: Actor, deed_id: int, text: str) -> Deed:
        """A returned deed, its text corrected, goes back to the secretaries' review (the next digest)."""
        text = (text or "").strip()
        if not text:
            raise InvalidInput(_("Please write what you did (or send a voice note)."))
        if len(text) > MAX_TEXT:
            raise InvalidInput(
                _("That is too long ({length} characters). Please keep it within {n} characters.").format(
                    length=len(text), n=MAX_TEXT
                )
            )
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            deed = await self._own_returned(s, actor, deed_id)
            deed.text, deed.status, deed.updated_at = text, DeedStatus.PENDING.value, now
            deed.reviewed_by, deed.reviewed_at = None, None
            s.add(deed)
            _deed, branch = await self._load(s, deed_id)
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="deed.resubmit",
                org_id=branch.org_id,
                branch_id=deed.branch_id,
                target=f"deed:{deed.id}",
            )
            return deed

    async def withdraw(self, actor: Actor, deed_id: int) -> Deed:
        async with self.deps.db.session() as s:
            deed = await self._own_pending(s, actor, deed_id, "withdraw")
            deed.status = DeedStatus.WITHDRAWN.value
            deed.updated_at = self.deps.clock.now()
            s.add(deed)
            return deed

    async def mine(self, actor: Actor) -> tuple[list[Deed], list[Deed]]:
        """(this month, this year) of the actor's own deeds, newest first; withdrawn ones left out."""
        today = self.today()
        async with self.deps.db.session() as s:
            rows = (
                (
                    await s.execute(
                        select(Deed)
                        .where(
                            Deed.person_id == actor.person_id,
                            Deed.erased.is_(False),
                            Deed.status != DeedStatus.WITHDRAWN.value,
                            Deed.day >= date(today.year, 1, 1),
                        )
                        .order_by(Deed.day.desc(), Deed.id.desc())
                    )
                )
                .scalars()
                .all()
            )
        year = list(rows)
        month = [d for d in year if d.day.month == today.month]
        return month, year

    async def own_deed(self, actor: Actor, deed_id: int) -> Deed:
        async with self.deps.db.session() as s:
            return await self._own_pending(s, actor, deed_id, "open")

    # --- "Gắn với việc đã đăng ký": link a deed to a pledge item afterwards ---------------------------------

    async def _own_any(self, s: AsyncSession, actor: Actor, deed_id: int, action: str) -> Deed:
        """The actor's own deed in any state but withdrawn (a reviewed deed may still be linked: the link is
        the member's own bookkeeping, not part of what the secretary reviewed)."""
        deed, _branch = await self._load(s, deed_id)
        if deed.person_id != actor.person_id or deed.status == DeedStatus.WITHDRAWN.value:
            log.warning("deed %s: person %s tried to %s it", deed_id, actor.person_id, action)
            raise NotFound(_("That good deed no longer exists."))
        return deed

    async def link_options(self, actor: Actor, deed_id: int) -> tuple[Deed, list[tuple[int, str]]]:
        """The deed and the member's pledge items of the deed's year it may be linked to."""
        provider = self.deps.ext.providers.pledge_items
        async with self.deps.db.session() as s:
            deed = await self._own_any(s, actor, deed_id, "link")
            items = list(await provider(s, actor.person_id, deed.day.year)) if provider is not None else []
        if not items:
            raise InvalidInput(
                _("Comrade has no approved pledge for {year} yet, so there is nothing to link it to.").format(
                    year=deed.day.year
                )
            )
        return deed, items

    async def link_to_pledge(self, actor: Actor, deed_id: int, item_id: int) -> tuple[Deed, str]:
        """Links the deed to one of the member's own pledge items of its year; returns (deed, item label)."""
        provider = self.deps.ext.providers.pledge_items
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            deed = await self._own_any(s, actor, deed_id, "link")
            items = dict(await provider(s, actor.person_id, deed.day.year)) if provider is not None else {}
            if item_id not in items:
                log.warning("deed %s: person %s tried to link item %s", deed_id, actor.person_id, item_id)
                raise InvalidInput(_("That pledged deed is not in comrade's pledge for that year."))
            deed.pledge_item_id, deed.updated_at = item_id, now
            s.add(deed)
            _deed, branch = await self._load(s, deed_id)
            await audit.record(
                s, at=now, actor_person_id=actor.person_id, action="deed.link", org_id=branch.org_id,
                branch_id=deed.branch_id, target=f"deed:{deed.id}",
            )
            return deed, items[item_id]
