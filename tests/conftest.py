"""Shared fixtures: a fake Telegram server, the real bot pointed at it, and branch personas.

PostgreSQL and Redis tests use TEST_POSTGRES_URL / TEST_REDIS_URL. They skip locally when the server is
absent, and fail when CI=true (see pytest_runtest_setup below), so CI can never pass by skipping them.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.config import Settings
from bot.devtools.emulator import FakeTelegram, TelegramUser
from bot.devtools.harness import TEST_TOKEN, BotHarness
from bot.messages import UserRef
from bot.services.actor import Actor
from bot.services.identity import IdentityService
from bot.services.org import OrgService

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
IN_CI = os.environ.get("CI") == "true"
ADMIN_TG_ID = 9001
SECRETARY_TG_ID = 9101
REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path | None:
    """../shared beside the repository (or HOCBAC_SHARED_DIR); None when absent."""
    env = os.environ.get("HOCBAC_SHARED_DIR")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared", Path("/work/shared")]
    return next((c for c in candidates if c.is_dir()), None)


def require_or_skip(condition: bool, reason: str) -> None:
    """Skip locally; fail in CI, where every service-backed test must run."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=TZ), TZ)


@pytest.fixture
async def fake_tg():
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'hocbac.sqlite3'}"


@pytest.fixture
def settings(tmp_path: Path, fake_tg: FakeTelegram, db_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TEST_TOKEN,
        telegram_api_url=fake_tg.base_url,
        database_url=db_url,
        admin_ids=[f"telegram:{ADMIN_TG_ID}"],
        media_dir=tmp_path / "media",
        tick_seconds=60,
    )


@pytest.fixture
async def bot(settings: Settings, clock: FakeClock):
    harness = BotHarness(settings, clock)
    await harness.start()
    yield harness
    await harness.stop()


@dataclass
class Branch:
    """A seeded đảng bộ with one chi bộ and its secretary, created through the real services."""

    org_id: int
    branch_id: int
    name: str
    secretary: TelegramUser
    secretary_actor: Actor
    admin: TelegramUser

    async def join_code(self, bot: BotHarness) -> str:
        assert bot.app is not None
        code = await bot.app.services.get(OrgService).create_code(self.secretary_actor, kind="member",
                                                                  branch_id=self.branch_id)
        return code.code


async def seed_branch(bot: BotHarness, fake: FakeTelegram, *, org_name: str = "Đảng bộ xã An Bình",
                      branch_name: str = "Chi bộ thôn 1", secretary_id: int = SECRETARY_TG_ID,
                      secretary_name: str = "Nguyễn Thị Lan") -> Branch:
    assert bot.app is not None
    ids = bot.app.services.get(IdentityService)
    org_svc = bot.app.services.get(OrgService)
    admin_user = fake.user(ADMIN_TG_ID, "Quản trị")
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    org = await org_svc.create_org(admin, org_name)
    branch = await org_svc.create_branch(admin, org.id, branch_name)
    invite = await org_svc.create_code(admin, kind="secretary", branch_id=branch.id)
    sec_user = fake.user(secretary_id, secretary_name)
    sec_actor = await ids.resolve(UserRef("telegram", str(secretary_id), secretary_name), str(secretary_id))
    await org_svc.redeem(sec_actor, invite.code)
    sec_actor = await ids.actor_for_person(sec_actor.person_id)
    assert sec_actor is not None and sec_actor.is_secretary
    return Branch(org.id, branch.id, branch_name, sec_user, sec_actor, admin_user)


@pytest.fixture
async def branch(bot: BotHarness, fake_tg: FakeTelegram) -> Branch:
    return await seed_branch(bot, fake_tg)


async def join_member(bot: BotHarness, fake: FakeTelegram, branch: Branch, user_id: int, name: str) -> TelegramUser:
    """A member joins through the real conversation and the secretary approves."""
    user = fake.user(user_id, name)
    code = await branch.join_code(bot)
    await user.send(f"/start {code}")
    await user.expect("đã được gửi tới bí thư")
    await branch.secretary.expect("xin tham gia")
    await branch.secretary.press("Duyệt")
    await user.expect("đã được duyệt")
    return user


# --- PostgreSQL / Redis ------------------------------------------------------------------------------


@pytest.fixture
def pg_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL", "")
    require_or_skip(bool(url), "TEST_POSTGRES_URL is not set")
    return url


@pytest.fixture
async def pg_db_url(pg_url: str):
    """A fresh PostgreSQL database per test, dropped afterwards."""
    import asyncpg

    base = pg_url.replace("postgresql+asyncpg://", "postgresql://")
    name = f"hocbac_test_{uuid.uuid4().hex[:10]}"
    try:
        conn = await asyncpg.connect(base)
    except OSError as exc:
        require_or_skip(False, f"PostgreSQL not reachable: {exc}")
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    head, _sep, _db = base.rpartition("/")
    yield f"postgresql+asyncpg://{head.removeprefix('postgresql://')}/{name}"
    conn = await asyncpg.connect(base)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


@pytest.fixture
async def redis_url():
    url = os.environ.get("TEST_REDIS_URL", "")
    require_or_skip(bool(url), "TEST_REDIS_URL is not set")
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        await client.ping()
    except Exception as exc:
        require_or_skip(False, f"Redis not reachable: {exc}")
    finally:
        await client.aclose()
    return url


# --- one test body for Telegram and Zalo (see tests/channels.py) ---------------------------------------
from tests.channels import channel, kit, kit_extra  # noqa: E402, F401
