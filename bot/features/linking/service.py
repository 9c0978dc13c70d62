"""One person, two channels: /lienket gives a 6-digit code; typed on the other channel, it joins both
accounts into one person, whose outbox messages then go to one preferred channel.

Merging moves every row that points at the absorbed person (memberships, pledges, deeds, audit…) to the
kept person, in one transaction. Two kinds of data cannot be combined and make the link refuse, with an
explanation and nothing changed: both accounts in the same branch, or any other record that exists once
per person (e.g. two pledges for the same year), found by the database's unique constraints.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.linking.models import LinkCode, LinkFailure
from bot.i18n import _
from bot.messages import esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.errors import Conflict, InvalidInput, TooManyAttempts
from bot.services.identity import invalidate
from bot.text import branch_title
from storage.models import metadata
from storage.models.org import Branch
from storage.models.people import Identity, Membership, OrgRole, Person

log = logging.getLogger("hocbac.linking")

CODE_TTL = timedelta(minutes=10)
CODE_DIGITS = 6
CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo"}


def normalize_link_code(text: str) -> str | None:
    """'123 456', '123-456', ' 123456 ' -> '123456'; anything else -> None."""
    digits = "".join(ch for ch in text if ch not in " -.")
    return digits if len(digits) == CODE_DIGITS and digits.isdigit() else None


@dataclass(frozen=True, slots=True)
class LinkResult:
    person_id: int
    channels: list[str]  # the person's channels after the merge, e.g. ["telegram", "zalo"]


class LinkService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def create_code(self, actor: Actor) -> LinkCode:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            # One live code per person: a new /lienket replaces the old one.
            await s.execute(delete(LinkCode).where(LinkCode.person_id == actor.person_id,
                                                   LinkCode.used_at.is_(None)))
            for _attempt in range(20):
                code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
                if await self._live(s, code, now) is None:
                    break
            row = LinkCode(code=code, person_id=actor.person_id, identity_id=actor.identity_id,
                           created_at=now, expires_at=now + CODE_TTL)
            s.add(row)
            await s.flush()
            return row

    async def _live(self, s: AsyncSession, code: str, now: datetime) -> LinkCode | None:
        return (await s.execute(select(LinkCode).where(LinkCode.code == code, LinkCode.used_at.is_(None),
                                                       LinkCode.expires_at > now))).scalars().first()

    async def channels_of(self, person_id: int) -> list[str]:
        async with self.deps.db.session() as s:
            rows = (await s.execute(select(Identity.channel).where(Identity.person_id == person_id)
                                    .distinct())).scalars().all()
            return sorted(rows)

    async def set_preferred(self, actor: Actor, channel: str) -> None:
        if channel not in await self.channels_of(actor.person_id):
            raise InvalidInput(_("You have no account on that channel."))
        async with self.deps.db.session() as s:
            await s.execute(update(Person).where(Person.id == actor.person_id)
                            .values(preferred_channel=channel))

    async def _account(self, actor: Actor) -> str:
        """The chat account wrong codes are counted by (like join codes, bot/services/org.py): /xoadulieu
        makes a new person of the same account, and that must not hand a guesser fresh attempts."""
        async with self.deps.db.session() as s:
            ident = await s.get(Identity, actor.identity_id)
        if ident is None:  # no account (a person created by hand): fall back to the person
            return f"{actor.channel}:person:{actor.person_id}"
        return f"{ident.channel}:{ident.external_id}"[:90]

    async def _check_attempts(self, account: str) -> None:
        settings = self.deps.settings
        since = self.deps.clock.now() - timedelta(minutes=settings.join_failure_window_min)
        async with self.deps.db.session() as s:
            failures = (await s.execute(select(func.count()).select_from(LinkFailure).where(
                LinkFailure.account == account, LinkFailure.at >= since))).scalar_one()
        if failures >= settings.join_max_failures:
            raise TooManyAttempts(_("Too many wrong link codes. Please wait {minutes} minutes and try again.")
                                  .format(minutes=settings.join_failure_window_min))

    async def redeem(self, actor: Actor, text: str) -> LinkResult:
        """Link the account that typed ``text`` with the account that asked for the code."""
        account = await self._account(actor)
        await self._check_attempts(account)
        now = self.deps.clock.now()
        code = normalize_link_code(text)
        async with self.deps.db.session() as s:
            row = await self._live(s, code, now) if code else None
        if row is None:
            async with self.deps.db.session() as s:  # its own transaction: it must survive the error
                s.add(LinkFailure(person_id=actor.person_id, account=account, at=now))
            raise InvalidInput(_("That link code is not valid or has expired. Send /lienket on your other "
                                 "account to get a new one (it is valid for 10 minutes)."))
        if row.person_id == actor.person_id:
            raise Conflict(_("This code is for linking another account: type it in the other app "
                             "(Telegram or Zalo), not here."))
        async with self.deps.db.session() as s:
            keep, gone = await self._order(s, row.person_id, actor.person_id)
            await self._check_mergeable(s, keep, gone)
            try:
                async with s.begin_nested():
                    await self._merge(s, keep, gone)
            except IntegrityError:
                log.info("link refused: persons %s and %s hold once-per-person records", keep, gone)
                raise Conflict(_("Both accounts already hold records that exist only once per person (for "
                                 "example a pledge for the same year), so they cannot be joined "
                                 "automatically. Please ask your branch secretary for help.")) from None
            await s.execute(update(LinkCode).where(LinkCode.id == row.id).values(used_at=now))
            await audit.record(s, at=now, actor_person_id=keep, action="person.link", target=f"person:{gone}")
            kept = select(Identity.channel).where(Identity.person_id == keep)
            channels = sorted(set((await s.execute(kept)).scalars().all()))
        await invalidate(self.deps, [keep, gone])  # the absorbed accounts now act as the kept person
        log.info("linked person %s into %s", gone, keep)
        return LinkResult(keep, channels)

    async def _order(self, s: AsyncSession, code_person: int, typing_person: int) -> tuple[int, int]:
        """(kept, absorbed): keep the person with branch seats or committee roles; else the code's owner."""
        async def weight(pid: int) -> int:
            seats = (await s.execute(select(func.count()).select_from(Membership).where(
                Membership.person_id == pid))).scalar_one()
            roles = (await s.execute(select(func.count()).select_from(OrgRole).where(
                OrgRole.person_id == pid))).scalar_one()
            return int(seats) + int(roles)

        if await weight(typing_person) > await weight(code_person):
            return typing_person, code_person
        return code_person, typing_person

    async def _check_mergeable(self, s: AsyncSession, keep: int, gone: int) -> None:
        def channels(pid: int):  # type: ignore[no-untyped-def]
            return select(Identity.channel).where(Identity.person_id == pid)

        both = set((await s.execute(channels(keep))).scalars().all()) & set(
            (await s.execute(channels(gone))).scalars().all())
        if both:
            raise Conflict(_("Each person can link one account per app, and both accounts already include "
                             "a {channel} account. Nothing was changed.").format(
                channel=", ".join(CHANNEL_NAMES.get(c, c) for c in sorted(both))))
        shared = (await s.execute(
            select(Branch.name).join(Membership, Membership.branch_id == Branch.id)
            .where(Membership.person_id == gone, Membership.branch_id.in_(
                select(Membership.branch_id).where(Membership.person_id == keep)))
        )).scalars().all()
        if shared:
            raise Conflict(_("Both accounts have joined branch {branch} separately, so they cannot be joined "
                             "automatically. Leave the branch on one account with /roi, or ask your branch "
                             "secretary for help.").format(branch=esc(branch_title(shared[0]))))

    async def _merge(self, s: AsyncSession, keep: int, gone: int) -> None:
        # Committee roles held by both: the absorbed duplicate is simply dropped.
        await s.execute(delete(OrgRole).where(OrgRole.person_id == gone, OrgRole.org_id.in_(
            select(OrgRole.org_id).where(OrgRole.person_id == keep))))
        # Every column that points at a person moves over; a unique constraint stops what cannot merge.
        for table in metadata.sorted_tables:
            if table.name == "person":
                continue
            for column in table.columns:
                if any(fk.column.table.name == "person" for fk in column.foreign_keys):
                    await s.execute(update(table).where(column == gone).values({column.name: keep}))
        kept, absorbed = await s.get(Person, keep), await s.get(Person, gone)
        assert kept is not None and absorbed is not None
        if not kept.display_name and absorbed.display_name:
            kept.display_name = absorbed.display_name
            s.add(kept)
        await s.flush()
        await s.execute(delete(Person).where(Person.id == gone))

