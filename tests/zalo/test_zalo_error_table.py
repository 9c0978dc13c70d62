"""Zalo's error table ("Bảng mã lỗi") through the client against the fake Zalo server: what each code means for
the sender, the fake's monthly quota per bot token on its clock, and the raw code and description in the log."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.errors import ZaloQuotaExhausted, ZaloRetryableError
from bot.delivery import PermanentError, QuotaExhaustedError
from bot.devtools.emulator.zalo import ERROR_TABLE, FakeZalo
from bot.messages import ChatRef, Reply


async def test_403_is_zalos_internal_server_error_and_retryable(fake, client):
    fake.user("u1", "Alice")
    fake.fail_next("sendMessage", status=403, error_code=403)
    with pytest.raises(ZaloRetryableError) as info:
        await client.send_message("u1", "hi")
    assert info.value.error_code == 403 and "Internal server error" in info.value.reason
    await client.send_message("u1", "hi")  # the next try goes through


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_is_retryable(fake, client, status):
    fake.user("u1", "Alice")
    fake.fail_next("sendMessage", status=status)
    with pytest.raises(ZaloRetryableError):
        await client.send_message("u1", "hi")


async def test_404_not_found_alone_is_not_a_verdict_on_the_member(fake, client):
    fake.user("u1", "Alice")
    fake.fail_next("sendMessage", status=404, error_code=404)  # "Not found", naming no chat
    with pytest.raises(PermanentError) as info:
        await client.send_message("u1", "hi")
    assert not info.value.unreachable


async def test_blocking_or_unknown_chat_is_unreachable_pending_confirmation(fake, client):
    fake.user("u2", "Bob")
    fake.block("u2")
    with pytest.raises(PermanentError) as blocked:
        await client.send_message("u2", "hi")
    with pytest.raises(PermanentError) as unknown:
        await client.send_message("nobody", "hi")
    for info in (blocked, unknown):
        assert info.value.unreachable and info.value.confirm  # the sender waits for consistent failures


async def test_429_quota_exceeded_is_the_month_not_a_rate_limit(fake, client):
    fake.user("u1", "Alice")
    fake.fail_next("sendMessage", status=429, error_code=429)  # the table's text: "Quota exceeded"
    with pytest.raises(ZaloQuotaExhausted):
        await client.send_message("u1", "hi")
    fake.fail_next("sendMessage", status=429, error_code=429, description="Too Many Requests", retry_after=2)
    with pytest.raises(ZaloRetryableError) as info:
        await client.send_message("u1", "hi")
    assert info.value.retry_after == 2


async def test_every_rejection_logs_the_raw_code_and_description(fake, client, caplog):
    fake.user("u1", "Alice")
    fake.fail_next("sendMessage", status=403, error_code=403)
    with caplog.at_level(logging.WARNING, logger="bot.channels.zalo.client"), pytest.raises(ZaloRetryableError):
        await client.send_message("u1", "hi")
    assert "403 Internal server error" in caplog.text


async def test_fake_enforces_a_monthly_quota_per_token_on_its_clock():
    now = [datetime(2026, 3, 31, 16, 30, tzinfo=UTC)]  # 23:30 in Vietnam on the 31st
    other = "999:other-token-abcdefgh"
    async with FakeZalo(tokens=("1234567890:fake-zalo-token-abcdefgh", other), monthly_quota=2,
                        clock=lambda: now[0]) as fake:
        fake.user("u1", "Alice")
        told: list[tuple[str, str]] = []

        async def on_quota(bot: str, reason: str) -> None:
            told.append((bot, reason))

        async with ZaloClient(fake.token, base_url=fake.base_url, timeout=5) as client, \
                ZaloClient(other, base_url=fake.base_url, timeout=5) as second:
            channel = ZaloChannel("main", client, on_quota=on_quota)
            chat = ChatRef("zalo", "u1", "main")
            await channel.deliver(chat, Reply("một"))
            await channel.deliver(chat, Reply("hai"))
            with pytest.raises(QuotaExhaustedError):
                await channel.deliver(chat, Reply("ba"))
            assert told == [("main", "zalo sendMessage: 429 Quota exceeded")]
            await second.send_message("u1", "another bot has its own quota")
            now[0] = datetime(2026, 3, 31, 17, 0, tzinfo=UTC)  # 00:00 on 1 April in Vietnam: a new month
            await channel.deliver(chat, Reply("bốn"))
        assert [m.text for m in fake.messages_for("u1")] == ["một", "hai", "another bot has its own quota", "bốn"]
        assert fake.stats["quota_exceeded"] == 1
        assert ERROR_TABLE[403] == "Internal server error" and ERROR_TABLE[429] == "Quota exceeded"
