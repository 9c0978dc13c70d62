"""Shared steps of the emulation tests: a committee admin in chat, a call opened through the conversation,
a project registered through the service."""

from __future__ import annotations

from datetime import date

from bot.devtools.harness import BotHarness
from bot.features.emulation.service import EmulationService
from bot.messages import UserRef
from bot.services.actor import Actor
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from tests.conftest import ADMIN_TG_ID


async def system_admin(bot: BotHarness) -> Actor:
    assert bot.app is not None
    return await bot.app.services.get(IdentityService).resolve(
        UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))


async def committee(bot: BotHarness, fake_tg, org_id: int, uid: int = 9301, name: str = "Đảng uỷ viên"):  # type: ignore[no-untyped-def]
    """A committee admin of ``org_id`` who joined by the invite code in chat (on Telegram)."""
    assert bot.app is not None
    invite = await bot.app.services.get(OrgService).create_code(await system_admin(bot), kind="committee_admin",
                                                                 org_id=org_id)
    boss = fake_tg.user(uid, name)
    await boss.send(f"/start {invite.code}")
    await boss.expect("quản trị")
    return boss


async def open_call(boss, deadline: str = "31/3") -> None:  # type: ignore[no-untyped-def]
    await boss.send("/dotthidua")
    await boss.expect("Tên đợt là gì?")
    await boss.send("Thi đua lập thành tích chào mừng Đại hội")
    await boss.expect("Hạn cuối đăng ký")
    await boss.send(deadline)
    await boss.expect("Tiêu chí thẩm định")
    await boss.send("Có sản phẩm cụ thể, đo đếm được")
    await boss.expect("năm loại mặc định", "Công trình, Phần việc, Mô hình, Sáng kiến, Việc làm cụ thể")
    await boss.press("Dùng năm loại mặc định")
    await boss.expect("Mở đợt đăng ký này?", "Hạn đăng ký: 31/03/2026")
    await boss.press("Mở đợt đăng ký")
    await boss.expect("Đã mở đợt", "31/03/2026")


async def register(bot: BotHarness, actor: Actor, branch_id: int, name: str, category: str,
                   milestones: list[tuple[date, str]]) -> int:
    assert bot.app is not None
    svc = bot.app.services.get(EmulationService)
    call = await svc.open_call_for(actor, branch_id)
    p = await svc.register(actor, branch_id, call.id or 0, by_branch=False, name=name, category=category,
                           goal="Mục tiêu", criteria="Tiêu chí", milestones=milestones)
    return p.id or 0


async def actor_of(bot: BotHarness, channel: str, uid: str) -> Actor:
    assert bot.app is not None
    ids = bot.app.services.get(IdentityService)
    actor = await ids.resolve(UserRef(channel, uid, ""), uid)
    refreshed = await ids.actor_for_person(actor.person_id)
    assert refreshed is not None
    return refreshed
