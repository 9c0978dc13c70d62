"""Good deeds (việc tốt): reporting, corrections, visibility, review, sharing, nominations, categories.

Every use case checks permissions here; handlers only hide what would be refused anyway. Anything said
to someone other than the actor (outcomes, group posts, notices to the secretary) goes through the outbox
inside the use case's transaction. Media are media-store keys, never platform file ids.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import local_today
from bot.features.deeds.callbacks import ReviewDeed, ShareDeed
from bot.features.deeds.models import Deed, DeedCategory, DeedReviewPref, DeedStatus, Nomination, ShareConsent
from bot.i18n import _
from bot.messages import Button, ChatRef, MediaRef, Reply, esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.errors import Conflict, InvalidInput, NotFound
from bot.services.media import MediaStore
from bot.services.notify import notify, notify_chat
from bot.services.org import OrgService
from bot.services.permissions import can_manage_branch, can_review_deeds, require_branch_manager, require_org_admin
from bot.text import parse_time_of_day
from storage.models.org import Branch
from storage.models.people import Membership, MembershipStatus, Person

log = logging.getLogger("hocbac.deeds")

MAX_TEXT = 2000
MAX_PHOTOS = 3
MAX_BACK_DAYS = 60
STALE_AFTER = timedelta(days=7)
DEFAULT_DIGEST_TIME = time(19, 0)
# Category names are the đảng bộ's own data (editable), so the defaults are stored in Vietnamese.
DEFAULT_CATEGORIES = ("giúp đỡ nhân dân", "công việc chuyên môn", "giữ gìn môi trường", "từ thiện", "khác")
COUNTED = (DeedStatus.PENDING.value, DeedStatus.ACCEPTED.value, DeedStatus.FEATURED.value)
_KEY_RE = re.compile(r"^[0-9a-f]{64}$")

Action = Literal["accept", "feature", "return"]


def status_label(status: str) -> str:
    return {
        DeedStatus.PENDING.value: _("waiting for the secretary"),
        DeedStatus.ACCEPTED.value: _("recorded by the branch"),
        DeedStatus.FEATURED.value: _("commended by the branch"),
        DeedStatus.RETURNED.value: _("returned for changes"),
        DeedStatus.WITHDRAWN.value: _("withdrawn by the member"),
    }.get(status, status)


def status_icon(status: str) -> str:
    return {"pending": "⏳", "accepted": "✅", "featured": "🌟", "returned": "↩️", "withdrawn": "🗑"}.get(
        status, "•"
    )


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


def deed_card(deed: Deed, person_name: str, *, with_status: bool = False) -> str:
    """One deed as a short HTML block (review cards, receipts, group posts)."""
    head = f"✍️ <b>{esc(person_name)}</b> · {deed.day.strftime('%d/%m/%Y')}"
    if deed.category:
        head += f" · {esc(deed.category)}"
    lines = [head]
    if deed.text:
        lines.append(esc(deed.text))
    extras = []
    if deed.voice_key:
        extras.append(_("🎙 voice note"))
    if deed.photo_keys:
        extras.append(_("📷 {n} photo(s)").format(n=len(deed.photo_keys)))
    if deed.recorded_by is not None and deed.recorded_by != deed.person_id:
        extras.append(_("recorded by the secretary"))
    if deed.pledge_item_id is not None:
        extras.append(_("🎯 fulfils a pledge"))
    if with_status:
        extras.append(f"{status_icon(deed.status)} {status_label(deed.status)}")
    if extras:
        lines.append("<i>" + " · ".join(extras) + "</i>")
    return "\n".join(lines)


def review_buttons(deed_id: int) -> list[list[Button]]:
    return [
        [
            Button(_("✅ Accept"), ReviewDeed("accept", deed_id).pack()),
            Button(_("🌟 Commend"), ReviewDeed("feature", deed_id).pack()),
            Button(_("↩️ Return"), ReviewDeed("return", deed_id).pack()),
        ]
    ]


def review_card(deed: Deed, person_name: str) -> Reply:
    """A pending deed for the secretary: its first photo (or voice note), text and the three buttons."""
    media = None
    if deed.photo_keys:
        media = MediaRef(kind="photo", media_key=deed.photo_keys[0])
    elif deed.voice_key:
        media = MediaRef(kind="voice", media_key=deed.voice_key)
    return Reply(text=deed_card(deed, person_name), media=media, buttons=review_buttons(deed.id or 0))


def parse_digest_time(text: str) -> time | None:
    return parse_time_of_day(text)


class DeedService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # --- helpers ----------------------------------------------------------------------------------

    def today(self) -> date:
        return local_today(self.deps.clock)

    def _branch_for(self, actor: Actor, branch_id: int | None) -> int:
        if branch_id is not None:
            if actor.seat(branch_id) is None:
                raise InvalidInput(_("You are not an active member of that branch."))
            return branch_id
        seat = actor.primary_branch
        if seat is None:
            raise InvalidInput(
                _("You have not joined a branch yet. Send the join code from your branch secretary.")
            )
        return seat.branch_id

    async def _load(self, s: AsyncSession, deed_id: int) -> tuple[Deed, Branch]:
        deed = await s.get(Deed, deed_id)
        if deed is None or deed.erased:
            raise NotFound(_("That good deed no longer exists."))
        branch = await s.get(Branch, deed.branch_id)
        assert branch is not None
        return deed, branch

    async def _categories(self, s: AsyncSession, org_id: int) -> list[str]:
        rows = (
            (
                await s.execute(
                    select(DeedCategory.name)
                    .where(DeedCategory.org_id == org_id)
                    .order_by(DeedCategory.position, DeedCategory.id)
                )
            )
            .scalars()
            .all()
        )
        if rows:
            return list(rows)
        for i, name in enumerate(DEFAULT_CATEGORIES):
            s.add(DeedCategory(org_id=org_id, name=name, position=i))
        await s.flush()
        return list(DEFAULT_CATEGORIES)

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

    # --- categories -------------------------------------------------------------------------------

    async def categories(self, org_id: int) -> list[str]:
        async with self.deps.db.session() as s:
            return await self._categories(s, org_id)

    async def categories_for(self, actor: Actor, branch_id: int | None = None) -> list[str]:
        branch_id = branch_id if branch_id is not None else self._branch_for(actor, None)
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                raise NotFound(_("That branch does not exist."))
            return await self._categories(s, branch.org_id)

    async def set_categories(self, actor: Actor, org_id: int, names: list[str]) -> list[str]:
        """Replace the đảng bộ's list (committee admins). Old deeds keep the name they were filed under."""
        require_org_admin(actor, org_id, "deed_categories")
        clean: list[str] = []
        for name in names:
            name = " ".join(name.split())
            if name and name.casefold() not in {c.casefold() for c in clean}:
                if len(name) > 100:
                    raise InvalidInput(_("That name is too long (at most {n} characters).").format(n=100))
                clean.append(name)
        if not clean or len(clean) > 12:
            raise InvalidInput(_("Please give between 1 and 12 categories, separated by commas."))
        async with self.deps.db.session() as s:
            await s.execute(delete(DeedCategory).where(DeedCategory.org_id == org_id))
            for i, name in enumerate(clean):
                s.add(DeedCategory(org_id=org_id, name=name, position=i))
            await audit.record(
                s,
                at=self.deps.clock.now(),
                actor_person_id=actor.person_id,
                action="deed.categories",
                org_id=org_id,
                details={"names": clean},
            )
        return clean

    async def pledge_options(self, actor: Actor) -> list[tuple[int, str]]:
        """The member's pledge items this year (from the pledges feature, when it is installed)."""
        provider = self.deps.ext.providers.pledge_items
        if provider is None:
            return []
        async with self.deps.db.session() as s:
            return list(await provider(s, actor.person_id, self.today().year))

    # --- reporting --------------------------------------------------------------------------------

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

    # --- visibility -------------------------------------------------------------------------------

    @staticmethod
    def can_see(actor: Actor, deed: Deed, branch: Branch) -> bool:
        """The member, their branch's secretary/deputy and committee admins of the đảng bộ; other
        members of the branch only featured deeds the member agreed to share."""
        if deed.erased:
            return False
        if deed.person_id == actor.person_id or can_manage_branch(actor, branch.id, branch.org_id):
            return True
        return (
            deed.status == DeedStatus.FEATURED.value
            and deed.share == ShareConsent.YES.value
            and actor.seat(branch.id) is not None
        )

    async def view(self, actor: Actor, deed_id: int) -> tuple[Deed, str]:
        async with self.deps.db.session() as s:
            deed, branch = await self._load(s, deed_id)
            if not self.can_see(actor, deed, branch):
                log.warning("deed %s: person %s may not see it", deed_id, actor.person_id)
                raise NotFound(_("That good deed no longer exists."))
            person = await s.get(Person, deed.person_id)
            return deed, person.display_name if person else "?"

    async def featured(
        self, actor: Actor, branch_id: int | None = None, limit: int = 10
    ) -> list[tuple[Deed, str]]:
        """Featured deeds of the actor's branch that the actor may see (shared ones, for plain members)."""
        branch_id = self._branch_for(actor, branch_id)
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            assert branch is not None
            rows = (
                await s.execute(
                    select(Deed, Person.display_name)
                    .join(Person, Person.id == Deed.person_id)
                    .where(
                        Deed.branch_id == branch_id,
                        Deed.status == DeedStatus.FEATURED.value,
                        Deed.erased.is_(False),
                    )
                    .order_by(Deed.reviewed_at.desc())
                    .limit(limit * 3)
                )
            ).all()
            return [(d, n) for d, n in rows if self.can_see(actor, d, branch)][:limit]

    # --- review -----------------------------------------------------------------------------------

    async def pending(self, actor: Actor, branch_id: int) -> list[tuple[Deed, str]]:
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                raise NotFound(_("That branch does not exist."))
            require_branch_manager(actor, branch.id, branch.org_id, "deed_pending")
            return await pending_deeds(s, branch_id)

    async def review(
        self, actor: Actor, deed_id: int, action: Action, reason: str | None = None
    ) -> tuple[Deed, str]:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            deed, branch = await self._load(s, deed_id)
            require_branch_manager(actor, branch.id, branch.org_id, f"deed_{action}")
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
            require_branch_manager(actor, branch.id, branch.org_id, "deed_review")
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

    async def answer_share(self, actor: Actor, deed_id: int, yes: bool) -> Deed:
        """The member answers "share with the group?" after their deed was featured (consent was "ask")."""
        async with self.deps.db.session() as s:
            deed, branch = await self._load(s, deed_id)
            if deed.person_id != actor.person_id:
                log.warning(
                    "deed %s: person %s answered the share question of another", deed_id, actor.person_id
                )
                raise NotFound(_("That good deed no longer exists."))
            if deed.share != ShareConsent.ASK.value:
                raise Conflict(_("You have already answered this."))
            deed.share = (ShareConsent.YES if yes else ShareConsent.NO).value
            s.add(deed)
            if yes and deed.status == DeedStatus.FEATURED.value:
                await self._post_to_group(s, deed, branch)
            return deed

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
            text += "\n\n" + deed_card(deed, name)
            return Reply(text=text, buttons=buttons)

        await notify(
            s,
            self.deps,
            deed.person_id,
            key=f"deed_outcome:{deed.id}:{deed.status}",
            kind="deed_outcome",
            render=render,
            branch_id=branch.id,
        )

    async def _post_to_group(self, s: AsyncSession, deed: Deed, branch: Branch) -> None:
        if not branch.group_chat_id or not branch.group_channel or deed.shared_at is not None:
            return
        person = await s.get(Person, deed.person_id)
        name = person.display_name if person else "?"
        media = MediaRef(kind="photo", media_key=deed.photo_keys[0]) if deed.photo_keys else None
        await notify_chat(
            s,
            self.deps,
            ChatRef(branch.group_channel, branch.group_chat_id, branch.group_bot),
            key=f"deed_group:{deed.id}",
            kind="group_deed",
            render=lambda: Reply(
                text=_("🌟 <b>A good example from our branch</b>") + "\n\n" + deed_card(deed, name), media=media
            ),
            branch_id=branch.id,
        )
        deed.shared_at = self.deps.clock.now()
        s.add(deed)

    # --- nominations ------------------------------------------------------------------------------

    async def nominate(self, actor: Actor, name: str, what: str, contact: str | None) -> Nomination:
        """A "gương người tốt" example, sent to the branch's secretary and deputy."""
        branch_id = self._branch_for(actor, None)
        name, what = " ".join((name or "").split()), (what or "").strip()
        contact = " ".join((contact or "").split()) or None
        if not name or not what:
            raise InvalidInput(_("Please give the person's name and what they did."))
        if len(name) > 200 or len(what) > MAX_TEXT or (contact and len(contact) > 200):
            raise InvalidInput(_("That is too long. Please shorten it."))
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            assert branch is not None
            nom = Nomination(
                branch_id=branch_id,
                nominated_by=actor.person_id,
                name=name,
                what=what,
                contact=contact,
                created_at=now,
            )
            s.add(nom)
            await s.flush()

            def text() -> str:
                out = _(
                    "🌱 <b>A “gương người tốt” nomination</b>\nFrom {by}, branch {branch}:\n"
                    "<b>{name}</b>: {what}"
                ).format(by=esc(actor.display_name), branch=esc(branch.name), name=esc(name), what=esc(what))
                if contact:
                    out += "\n" + _("Contact: {contact}").format(contact=esc(contact))
                return out

            await OrgService(self.deps).notify_managers(
                s, branch, key=f"deed_nomination:{nom.id}", text_factory=text
            )
            return nom

    # --- the secretary's digest time ----------------------------------------------------------------

    async def set_digest_time(self, actor: Actor, text: str) -> time:
        if not can_review_deeds(actor):
            raise InvalidInput(_("This command is only for branch secretaries."))
        when = parse_digest_time(text)
        if when is None:
            raise InvalidInput(_("Please type a time as HH:MM, e.g. 19:30."))
        async with self.deps.db.session() as s:
            pref = await s.get(DeedReviewPref, actor.person_id)
            pref = pref or DeedReviewPref(person_id=actor.person_id)
            pref.digest_time = when.strftime("%H:%M")
            s.add(pref)
        return when

    async def digest_time(self, person_id: int) -> time:
        async with self.deps.db.session() as s:
            return await digest_time(s, person_id)


# --- queries shared with the ticks and the pack ---------------------------------------------------------


async def digest_time(s: AsyncSession, person_id: int) -> time:
    pref = await s.get(DeedReviewPref, person_id)
    return (parse_digest_time(pref.digest_time) if pref else None) or DEFAULT_DIGEST_TIME


async def pending_deeds(s: AsyncSession, branch_id: int) -> list[tuple[Deed, str]]:
    rows = (
        await s.execute(
            select(Deed, Person.display_name)
            .join(Person, Person.id == Deed.person_id)
            .where(
                Deed.branch_id == branch_id, Deed.status == DeedStatus.PENDING.value, Deed.erased.is_(False)
            )
            .order_by(Deed.id)
        )
    ).all()
    return [(d, n) for d, n in rows]


# --- declared in feature.py ------------------------------------------------------------------------------


async def _deeds_for_pledge_items(s: AsyncSession, item_ids: list[int]) -> dict[int, list[tuple[date, str]]]:
    if not item_ids:
        return {}
    rows = (
        (
            await s.execute(
                select(Deed)
                .where(Deed.pledge_item_id.in_(item_ids), Deed.erased.is_(False), Deed.status.in_(COUNTED))
                .order_by(Deed.day)
            )
        )
        .scalars()
        .all()
    )
    out: dict[int, list[tuple[date, str]]] = {}
    for d in rows:
        out.setdefault(d.pledge_item_id, []).append((d.day, d.text or _("(a voice note)")))  # type: ignore[arg-type]
    return out


async def _no_deed_month(s: AsyncSession, deps: Deps, branch_id: int, now: datetime) -> set[int]:
    """Active members of the branch with no deed this (local) month: for gentle encouragement."""
    first = now.astimezone(deps.settings.tz).date().replace(day=1)
    members = set(
        (
            await s.execute(
                select(Membership.person_id).where(
                    Membership.branch_id == branch_id, Membership.status == MembershipStatus.ACTIVE.value
                )
            )
        )
        .scalars()
        .all()
    )
    with_deeds = set(
        (
            await s.execute(
                select(Deed.person_id).where(
                    Deed.branch_id == branch_id, Deed.day >= first, Deed.status.in_(COUNTED)
                )
            )
        )
        .scalars()
        .all()
    )
    return members - with_deeds


async def _figures(
    s: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
) -> dict[str, float | int]:
    rows = (
        await s.execute(
            select(Deed.status, func.count())
            .where(Deed.branch_id == branch_id, Deed.created_at >= start, Deed.created_at < end)
            .group_by(Deed.status)
        )
    ).all()
    by = {status: int(n) for status, n in rows}
    return {
        "deeds_reported": sum(n for st, n in by.items() if st != DeedStatus.WITHDRAWN.value),
        "deeds_accepted": by.get(DeedStatus.ACCEPTED.value, 0) + by.get(DeedStatus.FEATURED.value, 0),
        "deeds_featured": by.get(DeedStatus.FEATURED.value, 0),
    }


async def _erase_deeds(s: AsyncSession, person_id: int, deps: Deps) -> None:
    """Remove the person's words and media; keep an empty row so branch totals stay right."""
    deeds = (await s.execute(select(Deed).where(Deed.person_id == person_id))).scalars().all()
    keys: set[str] = set()
    for deed in deeds:
        keys.update(deed.photo_keys or [])
        if deed.voice_key:
            keys.add(deed.voice_key)
        deed.text, deed.voice_key, deed.photo_keys = "", None, []
        deed.return_reason, deed.pledge_item_id, deed.erased = None, None, True
        if deed.status == DeedStatus.PENDING.value:
            deed.status = DeedStatus.WITHDRAWN.value
        s.add(deed)
    await s.execute(delete(Nomination).where(Nomination.nominated_by == person_id))
    await s.flush()
    if not keys:
        return
    # The same photo may belong to someone else's deed (media are keyed by content): keep those files.
    others = (
        await s.execute(
            select(Deed.photo_keys, Deed.voice_key).where(Deed.person_id != person_id, Deed.erased.is_(False))
        )
    ).all()
    still_used = {k for photos, voice in others for k in [*(photos or []), voice] if k}
    store = MediaStore(deps)
    for key in keys - still_used:
        await store.delete(key)
