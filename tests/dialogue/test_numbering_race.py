"""Opinions sent at the same moment by members of one đảng bộ get distinct numbers, on SQLite and on
PostgreSQL (where the sessions really overlap and the unique number is retried)."""

from __future__ import annotations

import asyncio

import pytest

from bot.config import Settings
from bot.devtools.harness import TEST_TOKEN, BotHarness
from bot.features.dialogue.service import DialogueService, SendInput
from tests.conftest import ADMIN_TG_ID, seed_branch
from tests.dialogue.test_committee import _member


async def _race(bot: BotHarness, fake_tg) -> None:  # type: ignore[no-untyped-def]
    branch = await seed_branch(bot, fake_tg)
    members = [await _member(bot, branch.branch_id, str(8400 + n), f"Thành viên {n}") for n in range(6)]
    svc = bot.app.services.get(DialogueService)  # type: ignore[union-attr]
    items = await asyncio.gather(*(svc.submit(m, SendInput("branch", "opinion", False, f"Ý kiến {i}"))
                                   for i, m in enumerate(members)))
    assert sorted(i.number for i in items) == [1, 2, 3, 4, 5, 6]


async def test_simultaneous_opinions_get_distinct_numbers_sqlite(bot, fake_tg, clock):
    await _race(bot, fake_tg)


@pytest.mark.postgres
async def test_simultaneous_opinions_get_distinct_numbers_postgres(tmp_path, fake_tg, clock, pg_db_url):
    settings = Settings(_env_file=None, bot_token=TEST_TOKEN, telegram_api_url=fake_tg.base_url,  # type: ignore[call-arg]
                        database_url=pg_db_url, admin_ids=[f"telegram:{ADMIN_TG_ID}"], media_dir=tmp_path / "media")
    harness = BotHarness(settings, clock)
    await harness.start()
    try:
        assert harness.app is not None and harness.app.db.dialect == "postgresql"
        await _race(harness, fake_tg)
    finally:
        await harness.stop()
