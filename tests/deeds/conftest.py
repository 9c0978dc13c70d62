"""Deed fixtures: the shared bot and branch, with a member who joined through the real conversation."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.devtools.emulator import FakeTelegram
from bot.devtools.emulator.telegram_state import tiny_png
from bot.devtools.harness import TEST_TOKEN
from bot.features.deeds.models import Deed
from storage.models.people import Membership, Person
from tests.conftest import ADMIN_TG_ID, join_member

PHOTO = tiny_png(3, 2)
PHOTO_KEY = hashlib.sha256(PHOTO).hexdigest()


@pytest.fixture
def settings(tmp_path: Path, fake_tg: FakeTelegram, db_url: str) -> Settings:
    # A digest is a short burst of messages to one chat; a faster per-chat pace keeps the tests quick.
    return Settings(
        _env_file=None,
        bot_token=TEST_TOKEN,
        telegram_api_url=fake_tg.base_url,  # type: ignore[call-arg]
        database_url=db_url,
        admin_ids=[f"telegram:{ADMIN_TG_ID}"],
        media_dir=tmp_path / "media",
        tick_seconds=60,
        send_chat_per_sec=50.0,
    )


@pytest.fixture
async def an(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    return await join_member(bot, fake_tg, branch, 6001, "Trần Văn An")


async def deeds(bot) -> list[Deed]:
    async with bot.app.db.session() as s:
        return list((await s.execute(select(Deed).order_by(Deed.id))).scalars().all())


async def add_phoneless_member(bot, branch, name: str) -> int:
    """An elderly member with no chat account: a person and an active membership, no identity."""
    async with bot.app.db.session() as s:
        p = Person(display_name=name)
        s.add(p)
        await s.flush()
        s.add(Membership(person_id=p.id, branch_id=branch.branch_id, status="active", role="member"))
        return p.id


def at(clock, *args: int) -> None:
    from tests.conftest import TZ

    clock.set(datetime(*args, tzinfo=TZ))  # type: ignore[misc]
