"""Run a conversation test on Telegram and on Zalo with one body.

    @pytest.mark.parametrize("channel", ["telegram", "zalo"])
    async def test_help(kit):
        an = await kit.join("5001", "Trần Văn An")   # joins by typed code; the secretary approves
        await an.send("/help")
        await an.expect("Đồng chí có thể dùng")

``kit`` (a :class:`Kit`) starts the real bot (BotHarness) against FakeTelegram and, for "zalo", also
against a FakeZalo whose one bot ("main") serves the seeded branch. The branch secretary is always on
Telegram. ``kit.user(id, name)`` gives a scripted member on the test's channel (a TelegramUser or a
ZaloUser, both ChatUsers; ``user.press(label)`` presses the button on Telegram and types the
choice's number on Zalo). ``kit.zalo_user`` / ``kit.tg_user`` give one on a given channel (cross-channel
tests). Without parametrisation, ``channel`` is "telegram".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.devtools.emulator import ChatUser, FakeTelegram
from bot.devtools.emulator.zalo import FakeZalo
from bot.devtools.emulator.zalo_user import ZaloUser
from bot.devtools.harness import TEST_TOKEN, BotHarness

ZALO_BOT = "main"
MEDIA_SECRET = "test-media-link-secret-0123456789"


@dataclass
class Kit:
    channel: str  # "telegram" | "zalo"
    bot: BotHarness
    fake_tg: FakeTelegram
    zalo: FakeZalo | None
    branch: Any  # tests.conftest.Branch (secretary on Telegram)

    def tg_user(self, user_id: int | str, name: str) -> ChatUser:
        return self.fake_tg.user(int(user_id), name)

    def zalo_user(self, user_id: int | str, name: str) -> ChatUser:
        assert self.zalo is not None, "this kit runs without Zalo"
        return self.zalo.user(f"z{user_id}", name)

    def user(self, user_id: int | str, name: str) -> ChatUser:
        """A member on this test's channel."""
        return self.zalo_user(user_id, name) if self.channel == "zalo" else self.tg_user(user_id, name)

    async def read_noted(self, user: ChatUser, days: int) -> None:
        """After "Đã đọc ✓": Telegram confirms with the streak. Zalo records it silently (every message counts
        against the bot's monthly plan; the streak is confirmed on every 7th day), so the streak is read in /toi."""
        if isinstance(user, ZaloUser):
            if days % 7:
                await user.expect_nothing(within=0.3)
            await user.send("/toi")
            await user.expect(f"Chuỗi ngày đọc: {days} ngày")
        else:
            await user.expect("Đã ghi nhận", f"{days} ngày")

    async def join(self, user_id: int | str, name: str, *, on: str | None = None) -> ChatUser:
        """A member types the branch's join code (as a Zalo user would) and the secretary approves."""
        where = on or self.channel
        user = self.zalo_user(user_id, name) if where == "zalo" else self.tg_user(user_id, name)
        code = await self.branch.join_code(self.bot)
        await user.send(code)
        await user.expect("đã được gửi tới bí thư")
        await self.branch.secretary.expect("xin tham gia", name)
        await self.branch.secretary.press("Duyệt")
        await user.expect("đã được duyệt")
        return user


def kit_settings(base: Settings, zalo: FakeZalo | None, **extra: Any) -> Settings:
    """The test settings plus one Zalo bot serving branch 1 (the seeded branch's id in a fresh database)."""
    values: dict[str, Any] = {
        "_env_file": None, "bot_token": TEST_TOKEN, "telegram_api_url": base.telegram_api_url,
        "database_url": base.database_url, "admin_ids": base.admin_ids, "media_dir": base.media_dir,
        "tick_seconds": base.tick_seconds,
    }
    if zalo is not None:
        values.update(zalo_bots=f"{ZALO_BOT}={zalo.token}@1", zalo_api_url=zalo.base_url,
                      # links need a base URL to be made; tests then point them at the bound server
                      public_base_url="http://127.0.0.1", media_link_secret=MEDIA_SECRET,
                      web_host="127.0.0.1", web_port=0,
                      zalo_send_per_sec=100, zalo_chat_per_sec=50, zalo_group_per_min=600)
    values.update(extra)
    return Settings(**values)


@pytest.fixture
def channel() -> str:
    return "telegram"


@pytest.fixture
def kit_extra() -> dict[str, Any]:
    """Override to change settings for a test module, e.g. a small Zalo quota."""
    return {}


@pytest.fixture
async def kit(channel: str, settings: Settings, clock: FakeClock, fake_tg: FakeTelegram,
              kit_extra: dict[str, Any]):
    from tests.conftest import seed_branch

    zalo_cm = FakeZalo(max_poll_wait=0.3, allow_private_webhook=True) if channel == "zalo" else None
    zalo = await zalo_cm.__aenter__() if zalo_cm is not None else None
    harness = BotHarness(kit_settings(settings, zalo, **kit_extra), clock)
    try:
        await harness.start()
        if harness.zalo is not None and harness.zalo.links is not None:
            harness.zalo.links.base_url = harness.zalo.local_url  # the "public" address is the bound one
        branch = await seed_branch(harness, fake_tg)
        assert branch.branch_id == 1  # ZALO_BOTS binds branch 1
        yield Kit(channel, harness, fake_tg, zalo, branch)
    finally:
        await harness.stop()
        if zalo_cm is not None:
            await zalo_cm.__aexit__(None, None, None)
