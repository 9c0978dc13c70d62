"""Seeding many members through the services (not the chat), for broadcast and report tests."""

from __future__ import annotations

from bot.devtools.emulator import FakeTelegram
from bot.devtools.harness import BotHarness
from bot.messages import UserRef
from bot.services.identity import IdentityService, invalidate
from storage.models.people import Membership, MembershipStatus


async def seed_members(
    bot: BotHarness, fake: FakeTelegram, branch_id: int, first_uid: int, n: int, joined=None
) -> list[int]:  # type: ignore[no-untyped-def]
    """n active members with a Telegram chat each; returns their person ids."""
    assert bot.app is not None
    ids = bot.app.services.get(IdentityService)
    people: list[int] = []
    for i in range(n):
        uid = first_uid + i
        fake.user(uid, f"Đảng viên {i + 1:04d}")
        actor = await ids.resolve(UserRef("telegram", str(uid), f"Đảng viên {i + 1:04d}"), str(uid))
        people.append(actor.person_id)
    now = joined or bot.app.clock.now()
    async with bot.app.db.session() as s:
        for pid in people:
            s.add(
                Membership(
                    person_id=pid,
                    branch_id=branch_id,
                    status=MembershipStatus.ACTIVE.value,
                    requested_at=now,
                    decided_at=now,
                )
            )
    # Written behind the services' back: the cached actors of these people are made stale, as every
    # writer of memberships does (bot.services.identity.invalidate).
    await invalidate(bot.app.services.deps, people)
    return people
