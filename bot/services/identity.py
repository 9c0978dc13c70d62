"""Map a channel account to a person and their roles (the one identity provider of the core).

The per-update path (``resolve``) reads the actor from a short-lived cache (bot/services/actor_cache.py)
and, on a miss, with two SQLAlchemy Core statements: the account with its person, then the person's
branch seats and committee roles in one UNION ALL. Every change that alters an actor calls
:func:`invalidate` after its commit: that is the one place the cache is made stale, on every worker.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, bindparam, cast, insert, literal_column, null, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messages import UserRef
from bot.services.actor import Actor, BranchSeat
from bot.services.actor_cache import NOT_READ, Account, ActorCache, Cached
from bot.services.deps import Deps
from storage.models.org import Branch
from storage.models.people import Identity, Membership, OrgRole, Person

log = logging.getLogger("hocbac.identity")

_SEEN_EVERY = timedelta(hours=1)

# The account the command-line tools act as; they add it to the system admins for their own run.
CLI_ACCOUNT = "cli:admin"

_ident, _person = Identity.__table__, Person.__table__  # type: ignore[attr-defined]
_member, _branch, _org_role = Membership.__table__, Branch.__table__, OrgRole.__table__  # type: ignore[attr-defined]

# Built once: Core statements with bound parameters (SQLAlchemy caches their compiled SQL).
_ACCOUNT_COLUMNS = (_ident.c.id, _ident.c.person_id, _ident.c.channel, _ident.c.external_id, _ident.c.reachable,
                    _ident.c.last_seen_at, _ident.c.display_name.label("seen_name"),
                    _person.c.display_name, _person.c.locale)
_BY_ACCOUNT = (
    select(*_ACCOUNT_COLUMNS).join_from(_ident, _person, _person.c.id == _ident.c.person_id)
    .where(_ident.c.channel == bindparam("channel"), _ident.c.bot == bindparam("bot"),
           _ident.c.external_id == bindparam("external_id"))
)
_BY_PERSON = (
    select(*_ACCOUNT_COLUMNS).join_from(_ident, _person, _person.c.id == _ident.c.person_id)
    .where(_ident.c.person_id == bindparam("person_id")).order_by(_ident.c.id).limit(1)
)
_seats = (
    select(literal_column("0", Integer).label("kind"), _member.c.id, _member.c.role, _member.c.status,
           _branch.c.id.label("branch_id"), _branch.c.org_id, _branch.c.name)
    .join_from(_member, _branch, _branch.c.id == _member.c.branch_id)
    .where(_member.c.person_id == bindparam("person_id"))
)
_orgs = select(literal_column("1", Integer), _org_role.c.id, cast(null(), String), cast(null(), String),
               cast(null(), Integer), _org_role.c.org_id, cast(null(), String)
               ).where(_org_role.c.person_id == bindparam("person_id"))
_roles = union_all(_seats, _orgs)
_ROLES = _roles.order_by(_roles.selected_columns.kind, _roles.selected_columns.id)
_ACCOUNTS_OF = select(_ident.c.channel, _ident.c.bot, _ident.c.external_id).where(
    _ident.c.person_id.in_(bindparam("person_ids", expanding=True)))


def actor_cache(deps: Deps) -> ActorCache:
    """The App's one actor cache (kept on its Deps, so every IdentityService of the App shares it)."""
    cache = deps.extras.get("actor_cache")
    if cache is None:
        cache = deps.extras["actor_cache"] = ActorCache(deps.settings.actor_cache_seconds, deps.redis,
                                                        deps.settings.redis_prefix)
    return cache


async def invalidate(deps: Deps, person_ids: Iterable[int] = (), accounts: Iterable[Account] = ()) -> None:
    """After a committed change to these people (memberships, committee roles, locale, name, identities,
    erasure): every worker's cached actor of their accounts is stale from now on. Call it after the unit of
    work, not inside it (a reader must not reload the old rows under the new version). ``accounts`` names
    accounts the change detached from the person (erasure rewrites them)."""
    cache = actor_cache(deps)
    found: set[Account] = set(accounts)
    ids = sorted(set(person_ids))
    if ids:
        async with deps.db.session() as s:
            conn = await s.connection()
            rows = (await conn.execute(_ACCOUNTS_OF, {"person_ids": ids})).all()
        found |= {(r.channel, r.bot, r.external_id) for r in rows}
    for attempt in range(3):
        try:
            await cache.bump(found)
            return
        except Exception:
            if attempt == 2:
                # Committed already: the change stands; other workers see it within ACTOR_CACHE_SECONDS.
                log.exception("could not publish an actor change to the other workers")
                return
            await asyncio.sleep(0.2 * (attempt + 1))


def _needs_touch(reachable: bool, last_seen_at: datetime | None, seen_name: str, name: str,
                 now: datetime) -> bool:
    """Whether the account's row must be written: they came back after blocking us, an hour passed since we
    last noted them, or the channel sends another name."""
    return (not reachable or last_seen_at is None or now - last_seen_at > _SEEN_EVERY
            or bool(name and name != seen_name))


class IdentityService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._admins = set(deps.settings.admin_ids)
        self.cache = actor_cache(deps)

    def is_admin_account(self, channel: str, external_id: str) -> bool:
        return f"{channel}:{external_id}" in self._admins

    async def resolve(self, user: UserRef, chat_id: str, bot: str = "", is_private: bool = True,
                      version: Any = NOT_READ) -> Actor:
        """Find or create the person behind a channel account, and load their roles.

        ``version``: the account's cache version when the caller already read it before any row was loaded
        (the dispatcher reads it while taking the person's lock, in the same Redis round trip)."""
        now = self.deps.clock.now()
        name = user.display_name[:200]
        account: Account = (user.channel, bot, user.user_id)
        cache = self.cache
        read_at = time.monotonic()
        if not cache.enabled:
            version = None
        elif version is NOT_READ:
            version = await cache.version(account)  # before any read: see actor_cache's docstring
        if cache.enabled:
            hit = cache.get(account, version)
            if hit is not None and not _needs_touch(hit.reachable, hit.last_seen_at, hit.seen_name, name, now):
                return hit.actor
        async with self.deps.db.session() as s:
            conn = await s.connection()
            row = (await conn.execute(_BY_ACCOUNT, {"channel": user.channel, "bot": bot,
                                                    "external_id": user.user_id})).first()
            if row is None:
                # A Telegram user id is the same on every bot (TELEGRAM_BOTS): opening a second bot is the same
                # person, who keeps their branch and history (Zalo ids are per account: not so there).
                known = None
                if user.channel == "telegram" and self.deps.settings.telegram_bots:
                    known = (await conn.execute(
                        select(_ident.c.person_id).join(_person, _person.c.id == _ident.c.person_id)
                        .where(_ident.c.channel == user.channel, _ident.c.external_id == user.user_id,
                               _ident.c.bot != bot, _person.c.erased_at.is_(None))
                        .order_by(_ident.c.id).limit(1))).scalar_one_or_none()
                locale = self.deps.settings.default_locale
                person_id = known if known is not None else (await conn.execute(insert(_person).values(
                    display_name=name, locale=locale, created_at=now).returning(_person.c.id))).scalar_one()
                identity_id = (await conn.execute(insert(_ident).values(
                    person_id=person_id, channel=user.channel, bot=bot, external_id=user.user_id,
                    chat_id=chat_id if is_private else user.user_id, display_name=name,
                    username=user.username[:100], reachable=True, created_at=now, last_seen_at=now,
                ).returning(_ident.c.id))).scalar_one()
                seen_name, last_seen = name, now
                if known is None:
                    actor = Actor(person_id=person_id, identity_id=identity_id, channel=user.channel,
                                  display_name=name, locale=locale,
                                  is_system_admin=self.is_admin_account(user.channel, user.user_id))
                else:  # their seats and roles come with them
                    row = (await conn.execute(_BY_ACCOUNT, {"channel": user.channel, "bot": bot,
                                                            "external_id": user.user_id})).first()
                    actor = await self._actor(conn, row)
            else:
                seen_name, last_seen = row.seen_name, row.last_seen_at
                if _needs_touch(row.reachable, row.last_seen_at, row.seen_name, name, now):
                    # Writing to someone who once blocked us means they came back.
                    seen_name, last_seen = name or row.seen_name, now
                    values: dict[str, object] = {"reachable": True, "unreachable_reason": None,
                                                 "display_name": seen_name, "last_seen_at": now}
                    if is_private:
                        values["chat_id"] = chat_id
                    await conn.execute(update(_ident).where(_ident.c.id == row.id).values(values))
                actor = await self._actor(conn, row)
        # reachable: an unreachable account was just written back to reachable above.
        cache.put(account, Cached(actor, reachable=True, last_seen_at=last_seen, seen_name=seen_name,
                                  version=version, expires=cache.expiry(read_at)))
        return actor

    async def actor_for_person(self, person_id: int) -> Actor | None:
        async with self.deps.db.session() as s:
            return await self.actor_in(s, person_id)

    async def actor_in(self, s: AsyncSession, person_id: int) -> Actor | None:
        """The person's Actor read inside the caller's session (a provider that must check a role). Never
        cached: callers ask right after a change."""
        conn = await s.connection()
        row = (await conn.execute(_BY_PERSON, {"person_id": person_id})).first()
        if row is None:
            return None
        return await self._actor(conn, row)

    async def _actor(self, conn: AsyncConnection, row) -> Actor:  # type: ignore[no-untyped-def]
        seats: list[BranchSeat] = []
        orgs: set[int] = set()
        for r in (await conn.execute(_ROLES, {"person_id": row.person_id})).all():
            if r.kind == 0:
                seats.append(BranchSeat(branch_id=r.branch_id, org_id=r.org_id, branch_name=r.name, role=r.role,
                                        status=r.status, membership_id=r.id))
            else:
                orgs.add(r.org_id)
        return Actor(
            person_id=row.person_id,
            identity_id=row.id,
            channel=row.channel,
            display_name=row.display_name,
            locale=row.locale,
            seats=tuple(seats),
            admin_org_ids=frozenset(orgs),
            is_system_admin=self.is_admin_account(row.channel, row.external_id),
        )

    async def mark_unreachable(self, identity_id: int, reason: str) -> None:
        async with self.deps.db.session() as s:
            conn = await s.connection()
            row = (await conn.execute(select(_ident.c.channel, _ident.c.bot, _ident.c.external_id)
                                      .where(_ident.c.id == identity_id))).first()
            await conn.execute(
                update(_ident).where(_ident.c.id == identity_id)
                .values(reachable=False, unreachable_reason=reason[:300], unreachable_at=self.deps.clock.now())
            )
        if row is not None:  # their next message must write them back to reachable
            await invalidate(self.deps, accounts=[(row.channel, row.bot, row.external_id)])

    async def set_locale(self, person_id: int, locale: str) -> None:
        async with self.deps.db.session() as s:
            result = await s.execute(update(Person).where(Person.id == person_id, Person.locale != locale)
                                     .values(locale=locale))
        if result.rowcount:  # type: ignore[attr-defined]  # choosing the same language again changes nothing
            await invalidate(self.deps, [person_id])

    async def mark_account_unreachable(self, channel: str, bot: str, external_id: str, reason: str) -> None:
        async with self.deps.db.session() as s:
            await s.execute(
                update(Identity)
                .where(Identity.channel == channel, Identity.bot == bot, Identity.external_id == external_id)
                .values(reachable=False, unreachable_reason=reason[:300], unreachable_at=self.deps.clock.now())
            )
        await invalidate(self.deps, accounts=[(channel, bot, external_id)])

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
            result = await s.execute(update(Person).where(Person.id == person_id, Person.display_name != name)
                                     .values(display_name=name))
        if result.rowcount:  # type: ignore[attr-defined]
            await invalidate(self.deps, [person_id])
        return name
