"""The direct reply path: a short run of 429s is waited out, anything temporary beyond it goes to the outbox
(first in line) and reaches the person; a permanent failure is a WARNING with its reason, never silence."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.messages import ChatRef, Reply
from bot.services import outbox
from storage.models.outbox import OutboxMessage

NAME = "Phạm Thị Riêng"


async def _reply_rows(bot) -> list[OutboxMessage]:
    """The reply rows once the sender has settled them (it marks a row sent just after delivering it)."""
    for _ in range(100):
        async with bot.app.db.session() as s:
            rows = list((await s.execute(select(OutboxMessage).where(OutboxMessage.kind == outbox.REPLY_KIND)))
                        .scalars().all())
        if all(r.status not in ("pending", "sending") for r in rows):
            break
        await asyncio.sleep(0.05)
    return rows


async def test_four_429s_in_a_row_do_not_lose_the_reply(bot, fake_tg, caplog):
    caplog.set_level(logging.INFO)
    an = fake_tg.user(6301, NAME)
    fake_tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, times=4)
    await an.send("/start")
    await an.expect("Chào mừng", timeout=15)
    assert len(fake_tg.messages_for(6301)) == 1
    rows = await _reply_rows(bot)
    assert [(r.status, r.priority, r.person_id is not None) for r in rows] == [("sent", outbox.REPLY_PRIORITY, True)]
    assert any("direct reply queued" in r.getMessage() for r in caplog.records)


async def test_a_server_error_sends_the_reply_through_the_outbox(bot, fake_tg, caplog):
    caplog.set_level(logging.INFO)
    an = fake_tg.user(6302, NAME)
    fake_tg.fail_next("sendMessage", 502, "Bad Gateway")
    await an.send("/start")
    await an.expect("Chào mừng")
    rows = await _reply_rows(bot)
    assert len(rows) == 1 and rows[0].status == "sent"
    assert rows[0].key.startswith("reply:telegram:")
    assert not any(NAME in r.getMessage() for r in caplog.records)  # no personal text in the log


async def test_a_long_retry_after_is_not_waited_in_the_request(bot, fake_tg):
    an = fake_tg.user(6303, NAME)
    fake_tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 60", retry_after=60)
    await an.send("/start")
    await an.expect("Chào mừng")  # the sender delivers it (the fake's 429 was one answer, not a minute)
    assert [r.status for r in await _reply_rows(bot)] == ["sent"]


async def test_a_blocked_user_drop_is_logged_with_its_reason(bot, fake_tg, caplog):
    caplog.set_level(logging.INFO)
    an = fake_tg.user(6304, NAME)
    fake_tg.block(6304)
    await an.send("/start")
    for _ in range(100):  # the 403 is not a message the fake's wait_for wakes on: look every 50 ms, 5 s at most
        drops = [r for r in caplog.records if "direct reply dropped" in r.getMessage()]
        if drops:
            break
        await asyncio.sleep(0.05)
    await an.expect_nothing(0.3)
    assert len(drops) == 1 and drops[0].levelno == logging.WARNING
    assert "unreachable" in drops[0].getMessage() and "blocked" in drops[0].getMessage()
    assert not any(NAME in r.getMessage() for r in caplog.records)
    assert await _reply_rows(bot) == []  # a permanent failure is not retried


async def test_queued_replies_go_before_notices(bot, fake_tg):
    """The sender claims a waiting reply before notices that were due earlier."""
    now = bot.app.clock.now()
    chat = ChatRef("telegram", "6305")
    async with bot.app.db.session() as s:
        for i in range(3):
            await outbox.enqueue(s, key=f"test-notice:{i}", kind="broadcast", to=outbox.Recipient(chat),
                                 reply=Reply(text=f"notice {i}"), due_at=now - timedelta(minutes=5))
        await outbox.enqueue_reply(s, key=outbox.reply_key(chat, "77", 1), to=outbox.Recipient(chat),
                                   reply=Reply(text="reply"), now=now)
        # Idempotent: the same update's same reply is queued once.
        again = await outbox.enqueue_reply(s, key=outbox.reply_key(chat, "77", 1), to=outbox.Recipient(chat),
                                           reply=Reply(text="reply"), now=now)
        claimed = await outbox.claim_due(s, now=now, worker="t", limit=1)
    assert again is False
    assert [r.kind for r in claimed] == [outbox.REPLY_KIND]


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_a_member_s_reply_survives_a_server_error_on_both_channels(kit, channel):
    """The same path on Zalo: its 5xx is temporary too, and the queued reply reaches the member."""
    an = await kit.join("6306", NAME)
    fake = kit.zalo if channel == "zalo" else kit.fake_tg
    if channel == "zalo":
        fake.fail_next("sendMessage", status=503, description="Service Unavailable")
    else:
        fake.fail_next("sendMessage", 503, "Service Unavailable")
    await an.send("/toi")
    await an.expect(NAME)
    rows = await _reply_rows(kit.bot)
    assert [(r.channel, r.status) for r in rows] == [(channel, "sent")]
