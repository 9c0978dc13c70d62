"""The same conversations on PostgreSQL + Redis: join, approval, a restart mid-form, outbox delivery."""

from __future__ import annotations

import uuid

import pytest

from bot.config import Settings
from bot.devtools.harness import TEST_TOKEN, BotHarness
from bot.services.state import RedisStateStore
from tests.conftest import ADMIN_TG_ID, join_member, seed_branch


@pytest.fixture
def scale_settings(tmp_path, fake_tg, pg_db_url, redis_url) -> Settings:
    return Settings(_env_file=None, bot_token=TEST_TOKEN, telegram_api_url=fake_tg.base_url,  # type: ignore[call-arg]
                    database_url=pg_db_url, redis_url=redis_url, admin_ids=[f"telegram:{ADMIN_TG_ID}"],
                    media_dir=tmp_path / "media", redis_prefix=f"hocbac-test-{uuid.uuid4().hex[:8]}:")


@pytest.mark.postgres
@pytest.mark.redis
async def test_onboarding_and_restart_mid_form_on_postgres_and_redis(scale_settings, clock, fake_tg):
    harness = BotHarness(scale_settings, clock)
    await harness.start()
    try:
        assert harness.app is not None and harness.app.db.dialect == "postgresql"
        assert isinstance(harness.app.state, RedisStateStore)
        branch = await seed_branch(harness, fake_tg)
        an = await join_member(harness, fake_tg, branch, 6101, "an")
        await an.send("/doiten")
        await an.send("Hoàng Văn An")
        question = await an.expect("Đổi tên thành Hoàng Văn An?")
        await harness.restart()  # the form's state lives in Redis and survives
        await an.press("Đồng ý", message=question)
        await an.expect("Tên của đồng chí bây giờ là Hoàng Văn An")
        await branch.secretary.send("/thanhvien")
        await branch.secretary.expect("Hoàng Văn An")
    finally:
        await harness.stop()
