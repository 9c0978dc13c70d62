"""Map a channel account to a person and their roles (the one identity provider of the core)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messages import UserRef
from bot.services.actor import Actor, BranchSeat
from bot.services.deps import Deps
from storage.models.org import Branch
from storage.models.people import Identity, Membership, OrgRole, Person

_SEEN_EVERY = timedelta(hours=1)

# The account the command-line tools act as; they add it to the system admins for their own run.
CLI_ACCOUNT = "cli:admin"


class IdentityService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._admins = set(deps.settings.admin_ids)

    def is_admin_account(self, channel: str, external_id: str) -> bool:
        return f"{channel}:{external_id}" in self._admins

    async def resolve(self, user: UserRef, chat_id: str, bot: str = "", is_private: bool = True) -> Actor:
        """Find or create the person behind a channel account, and load their roles."""
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            ident = (
                await s.execute(
                    select(Identity).where(
                        Identity.channel == user.channel, Identity.bot == bot, Identity.external_id == user.user_id
                    )
                )
            ).scalar_one_or_none()
            if ident is None:
                # A Telegram user id is the same on every bot (TELEGRAM_BOTS): opening a second bot is the same
                # person, who keeps their branch and history (Zalo ids are per account: not so there).
                person_id = None
                if user.channel == "telegram" and self.deps.settings.telegram_bots:
                    person_id = (await s.execute(
                        select(Identity.person_id).join(Person, Person.id == Identity.person_id)
                        .where(Identity.channel == user.channel, Identity.external_id == user.user_id,
                               Identity.bot != bot, Person.erased_at.is_(None))
                        .order_by(Identity.id).limit(1))).scalar_one_or_none()
                if person_id is None:
                    person = Person(display_name=user.display_name[:200], created_at=now,
                                    locale=self.deps.settings.default_locale)
                    s.add(person)
                    await s.flush()
                    person_id = person.id
                ident = Identity(person_id=person_id, channel=user.channel, bot=bot, external_id=user.user_id,
                                 chat_id=chat_id if is_private else user.user_id,
                                 display_name=user.display_name[:200], username=user.username[:100],
                                 created_at=now, last_seen_at=now)
                s.add(ident)
                await s.flush()
            else:
                changed = not ident.reachable or (
                    ident.last_seen_at is None or now - ident.last_seen_at > _SEEN_EVERY
                ) or ident.display_name != user.display_name[:200]
                if changed:
                    # Writing to someone who once blocked us means they came back.
                    ident.reachable, ident.unreachable_reason = True, None
                    ident.display_name = user.display_name[:200] or ident.display_name
                    ident.last_seen_at = now
                    if is_private:
                        ident.chat_id = chat_id
                    s.add(ident)
            return await self._actor(s, ident)

    async def actor_for_person(self, person_id: int) -> Actor | None:
        async with self.deps.db.session() as s:
            return await self.actor_in(s, person_id)

    async def actor_in(self, s: AsyncSession, person_id: int) -> Actor | None:
        """The person's Actor read inside the caller's session (a provider that must check a role)."""
        ident = (
            await s.execute(select(Identity).where(Identity.person_id == person_id).order_by(Identity.id))
        ).scalars().first()
        if ident is None:
            return None
        return await self._actor(s, ident)

    async def _actor(self, s: AsyncSession, ident: Identity) -> Actor:
        person = await s.get(Person, ident.person_id)
        assert person is not None
        seats_rows = (
            await s.execute(
                select(Membership, Branch).join(Branch, Branch.id == Membership.branch_id)
                .where(Membership.person_id == person.id).order_by(Membership.id)
            )
        ).all()
        seats = tuple(
            BranchSeat(branch_id=b.id, org_id=b.org_id, branch_name=b.name, role=m.role, status=m.status,
                       membership_id=m.id)
            for m, b in seats_rows
        )
        orgs = (
            await s.execute(select(OrgRole.org_id).where(OrgRole.person_id == person.id))
        ).scalars().all()
        return Actor(
            person_id=person.id,
            identity_id=ident.id,
            channel=ident.channel,
            display_name=person.display_name,
            locale=person.locale,
            seats=seats,
            admin_org_ids=frozenset(orgs),
            is_system_admin=self.is_admin_account(ident.channel, ident.external_id),
        )

    async def mark_unreachable(self, identity_id: int, reason: str) -> None:
        async with self.deps.db.session() as s:
            await s.execute(
                update(Identity).where(Identity.id == identity_id)
                .values(reachable=False, unreachable_reason=reason[:300], unreachable_at=self.deps.clock.now())
            )

    async def set_locale(self, person_id: int, locale: str) -> None:
        async with self.deps.db.session() as s:
            await s.execute(update(Person).where(Person.id == person_id).values(locale=locale))

    async def mark_account_unreachable(self, channel: str, bot: str, external_id: str, reason: str) -> None:
        async with self.deps.db.session() as s:
            await s.execute(
                update(Identity)
                .where(Identity.channel == channel, Identity.bot == bot, Identity.external_id == external_id)
                .values(reachable=False, unreachable_reason=reason[:300], unreachable_at=self.deps.clock.now())
            )

    async def rename(self, person_id: int, name: str) -> str:
        """Members set the name their branch knows them by (Telegram names are often nicknames)."""
        from bot.i18n import _
        from bot.services.errors import InvalidInput

        name = " ".join(name.split())
        if not name:
            raise InvalidInput(_("Please type a name."))
        if len(name) > 100:
            raise InvalidInput(_("That name is too long (at most {n} characters).").format(n=100))
        async with self.deps.db.session() as s:
            await s.execute(update(Person).where(Person.id == person_id).values(display_name=name))
        return name
