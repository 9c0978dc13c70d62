"""Helpers for the daily-lesson tests: run the daily tick at a local time, make a committee admin."""

from __future__ import annotations

from datetime import datetime

from bot.devtools.emulator import FakeTelegram, TelegramUser
from bot.devtools.harness import BotHarness
from bot.messages import UserRef
from bot.services.actor import Actor
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from tests.conftest import ADMIN_TG_ID, TZ, Branch


async def tick_at(bot: BotHarness, clock, when: datetime) -> None:  # type: ignore[no-untyped-def]
    """Move the fake clock to ``when`` (local time) and run the daily tick once."""
    clock.set(when.replace(tzinfo=TZ) if when.tzinfo is None else when)
    results = await bot.tick(only=["daily"])
    assert results == {"daily": "ok"}, results


async def committee_admin(bot: BotHarness, fake: FakeTelegram, branch: Branch, user_id: int = 9301,
                          name: str = "Hoàng Văn Ủy") -> tuple[TelegramUser, Actor]:
    """A committee administrator of the branch's đảng bộ, invited through the real code flow."""
    assert bot.app is not None
    ids = bot.app.services.get(IdentityService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    org = bot.app.services.get(OrgService)
    code = await org.create_code(admin, kind="committee_admin", org_id=branch.org_id)
    user = fake.user(user_id, name)
    await user.send(f"/start {code.code}")
    await user.expect("quản trị")
    actor = await ids.resolve(UserRef("telegram", str(user_id), name), str(user_id))
    assert actor.is_committee_admin
    return user, actor
