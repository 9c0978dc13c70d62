"""Good deeds: sharing a commended deed to the branch's group (the member's consent), and nominations."""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.deeds.access import DeedUseCase
from bot.features.deeds.cards import deed_card
from bot.features.deeds.models import Deed, DeedStatus, Nomination, ShareConsent
from bot.features.deeds.nominations import match_member
from bot.features.deeds.reporting import MAX_TEXT
from bot.i18n import _
from bot.messages import ChatRef, MediaRef, Reply, esc
from bot.services.actor import Actor
from bot.services.errors import Conflict, InvalidInput, NotFound
from bot.services.notify import notify_chat
from bot.services.org import OrgService
from bot.text import branch_title
from storage.models.org import Branch
from storage.models.people import Person

log = logging.getLogger("hocbac.deeds")


class DeedSharing(DeedUseCase):
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
                day=self.today(),
                person_id=await match_member(s, branch_id, name),
            )
            s.add(nom)
            await s.flush()

            def text() -> str:
                out = _(
                    "🌱 <b>A “gương người tốt” nomination</b>\nFrom {by}, branch {branch}:\n"
                    "<b>{name}</b>: {what}"
                ).format(by=esc(actor.display_name), branch=esc(branch_title(branch.name)),
                         name=esc(name), what=esc(what))
                if contact:
                    out += "\n" + _("Contact: {contact}").format(contact=esc(contact))
                return out + "\n" + _("To recognise it or not: /dsneguong")

            await OrgService(self.deps).notify_managers(
                s, branch, key=f"deed_nomination:{nom.id}", text_factory=text
            )
            return nom
