"""Cross-channel flows through the features themselves: a photo deed sent on Zalo reviewed by a secretary on
Telegram, and the daily tick serving a linked person once, on the chosen channel."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest
from sqlalchemy import select

from bot.devtools.emulator.telegram_state import tiny_png
from bot.features.deeds.models import Deed
from storage.models.outbox import OutboxMessage
from tests.conversations.test_zalo_cross import link, person_of
from tests.daily.conftest import tick_at

ZALO = pytest.mark.parametrize("channel", ["zalo"])
PHOTO = tiny_png(4, 3)
TITLE = "Học Bác mỗi ngày"


@pytest.fixture(autouse=True)
def _no_rate_limits(fake_tg) -> None:
    fake_tg.limits.enabled = False


@ZALO
async def test_photo_deed_from_zalo_reviewed_on_telegram(kit):
    an = await kit.join("5501", "Trần Văn An")  # on Zalo
    await an.send_photo(PHOTO, caption="Sửa giúp bà Hai cái quạt điện")
    await an.expect("Ghi nhận đây là việc tốt?", "kèm 1 ảnh")
    await an.send("co")
    await an.expect("Việc tốt đã được lưu")
    sec = kit.branch.secretary  # on Telegram
    await sec.send("/duyet")
    card = await sec.expect("Sửa giúp bà Hai", "Trần Văn An")
    assert card.photo and card.buttons == ["✅ Ghi nhận", "🌟 Biểu dương", "↩️ Trả lại"]
    # The secretary sees the very bytes the member sent on Zalo, re-sent from the media store.
    file_id = card.raw.record.photo[-1]["file_id"]
    assert kit.fake_tg.files[file_id].data == PHOTO
    await sec.press("Biểu dương", message=card)
    await sec.expect("Đã biểu dương", "Trần Văn An")
    await an.expect("biểu dương")
    async with kit.bot.app.db.session() as s:
        [deed] = (await s.execute(select(Deed))).scalars().all()
    assert deed.status == "featured" and deed.photo_keys == [hashlib.sha256(PHOTO).hexdigest()]


@ZALO
async def test_linked_person_gets_one_daily_item_from_the_tick(kit, clock):
    tg = await kit.join("5502", "Trần Văn An", on="telegram")
    zl = kit.zalo_user("5502", "An Zalo")
    await link(tg, zl)
    await zl.expect("qua ứng dụng nào")
    await zl.press("Zalo")
    await zl.expect("Đã lưu", "Zalo")
    person = await person_of(kit, "telegram", "5502")
    await tick_at(kit.bot, clock, datetime(2026, 3, 3, 6, 30))
    await zl.expect(TITLE, "— Hồ Chí Minh")
    await tg.expect_nothing(within=0.3)
    await zl.press("Đã đọc ✓")  # read on Zalo: counts for the one person
    await kit.read_noted(zl, 1)
    await tick_at(kit.bot, clock, datetime(2026, 3, 3, 6, 31))  # the tick again: still one
    await zl.expect_nothing(within=0.3)
    # Back to Telegram: the next day's item comes there only.
    await tg.send("/kenh")
    await tg.expect("qua ứng dụng nào")
    await tg.press("Telegram")
    await tg.expect("Đã lưu", "Telegram")
    await tick_at(kit.bot, clock, datetime(2026, 3, 4, 6, 30))
    await tg.expect(TITLE)
    await zl.expect_nothing(within=0.3)
    await tg.press("Đã đọc ✓")
    await kit.read_noted(tg, 2)
    async with kit.bot.app.db.session() as s:
        rows = (await s.execute(select(OutboxMessage.key, OutboxMessage.channel)
                                .where(OutboxMessage.kind == "daily", OutboxMessage.person_id == person)
                                .order_by(OutboxMessage.id))).all()
    assert rows == [(f"daily:{person}:2026-03-03", "zalo"), (f"daily:{person}:2026-03-04", "telegram")]
