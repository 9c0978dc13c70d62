"""Helpers for the dialogue tests: a committee admin on Telegram, opinions sent through the service."""

from __future__ import annotations

from sqlalchemy import select

from bot.devtools.emulator import FakeTelegram, TelegramUser
from bot.devtools.harness import BotHarness
from bot.messages import UserRef
from bot.services.actor import Actor
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from storage.models.people import Identity
from tests.conftest import ADMIN_TG_ID, Branch


async def committee_admin(bot: BotHarness, fake: FakeTelegram, branch: Branch, user_id: int = 9301,
                          name: str = "Hoàng Văn Uỷ") -> tuple[TelegramUser, Actor]:
    """A committee administrator of the branch's đảng bộ, invited through the real code flow."""
    assert bot.app is not None
    ids = bot.app.services.get(IdentityService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    code = await bot.app.services.get(OrgService).create_code(admin, kind="committee_admin", org_id=branch.org_id)
    user = fake.user(user_id, name)
    await user.send(f"/start {code.code}")
    await user.expect("quản trị")
    actor = await ids.resolve(UserRef("telegram", str(user_id), name), str(user_id))
    assert actor.is_committee_admin
    return user, actor


async def actor_of(bot: BotHarness, external_id: str) -> Actor:
    """The actor of a person who wrote to the bot (on any channel) with this platform user id."""
    assert bot.app is not None
    async with bot.app.db.session() as s:
        person_id = (await s.execute(select(Identity.person_id).where(Identity.external_id == external_id))
                     ).scalars().first()
    assert person_id is not None, external_id
    actor = await bot.app.services.get(IdentityService).actor_for_person(person_id)
    assert actor is not None
    return actor
