import logging

import pytest

from bot.channels.zalo.client import ZaloClient, redact
from bot.delivery import PermanentError, RetryableError


async def test_get_me_ok(client):
    me = await client.get_me()
    assert me["id"] == "1234567890"
    assert me["account_type"] == "BASIC"


async def test_idle_poll_returns_none_on_408(fake, client):
    assert await client.get_updates(timeout=1) is None
    assert fake.stats["call:getUpdates"] == 1


async def test_one_update_per_call_in_order(fake, client):
    alice = fake.user("u1", "Alice")
    await fake.inject_text(alice, "một")
    await fake.inject_text(alice, "hai")
    first = await client.get_updates(timeout=1)
    second = await client.get_updates(timeout=1)
    assert first["message"]["text"] == "một"
    assert second["message"]["text"] == "hai"
    assert await client.get_updates(timeout=1) is None


async def test_send_message_returns_id_and_is_recorded(fake, client):
    fake.user("u1", "Alice")
    result = await client.send_message("u1", "Xin chào")
    assert result["message_id"] == fake.sent[0].message_id
    assert [m.text for m in fake.messages_for("u1")] == ["Xin chào"]


async def test_text_over_2000_is_bad_request(fake, client):
    fake.user("u1", "Alice")
    with pytest.raises(PermanentError) as info:
        await client.send_message("u1", "a" * 2001)
    assert not info.value.unreachable
    assert "too long" in info.value.reason
    await client.send_message("u1", "a" * 2000)  # exactly the limit is fine
    assert len(fake.sent) == 1


async def test_ok_false_at_http_200_is_permanent_unreachable(fake, client):
    with pytest.raises(PermanentError) as info:
        await client.send_message("nobody", "hi")
    assert info.value.unreachable
    assert fake.sent == []


async def test_blocked_user_is_unreachable(fake, client):
    fake.user("u2", "Bob")
    fake.block("u2")
    with pytest.raises(PermanentError) as info:
        await client.send_message("u2", "hi")
    assert info.value.unreachable


async def test_ok_false_with_bad_request_at_200_is_permanent_not_unreachable(fake, client):
    fake.user("u1", "Alice")
    fake.fail_next("sendMessage", status=200, error_code=400, description="Bad Request: invalid param")
    with pytest.raises(PermanentError) as info:
        await client.send_message("u1", "hi")
    assert not info.value.unreachable


async def test_rate_limit_gives_retryable_with_retry_after(fake, client):
    fake.user("u1", "Alice")
    fake.rate_limit(calls=2, per_seconds=60, retry_after=7)
    await client.send_message("u1", "1")
    await client.send_message("u1", "2")
    with pytest.raises(RetryableError) as info:
        await client.send_message("u1", "3")
    assert info.value.retry_after == 7
    assert fake.stats["rate_limited"] == 1


async def test_server_error_is_retryable(fake, client):
    fake.fail_next("getMe", status=502, description="Bad Gateway")
    with pytest.raises(RetryableError):
        await client.get_me()
    assert (await client.get_me())["id"]  # the failure was one-off


async def test_connection_refused_is_retryable():
    async with ZaloClient("999:secret-abcdefgh", base_url="http://127.0.0.1:9", timeout=2) as c:
        with pytest.raises(RetryableError):
            await c.get_me()


async def test_webhook_info_none_then_set_then_deleted(client):
    assert await client.get_webhook_info() is None
    await client.set_webhook("https://example.invalid/hook", "s3cret-s3cret")
    info = await client.get_webhook_info()
    assert info["url"] == "https://example.invalid/hook"
    await client.delete_webhook()
    assert await client.get_webhook_info() is None


async def test_photo_url_and_chat_action_are_recorded(fake, client):
    fake.user("u1", "Alice")
    await client.send_chat_action("u1", "typing")
    await client.send_photo("u1", "https://img.example/x.jpg", "Chú thích")
    msg = fake.messages_for("u1")[0]
    assert msg.photo and msg.photo_url == "https://img.example/x.jpg" and msg.text == "Chú thích"
    assert fake.stats["chat_action"] == 1


async def test_download_hosted_file(fake, client):
    url = fake.host_file(b"\x89PNG-bytes", "image/png")
    assert await client.download(url) == b"\x89PNG-bytes"
    with pytest.raises(PermanentError):
        await client.download(url + "nope")


def test_redact_hides_token_and_secret_half():
    token = "123456:AbCdEfGhIjKlMnOp"
    text = f"POST https://x/bot{token}/sendMessage secret AbCdEfGhIjKlMnOp"
    out = redact(text, token)
    assert "AbCdEfGhIjKlMnOp" not in out and token not in out
    assert "sendMessage" in out


@pytest.mark.parametrize("kind", ["http_error", "connection_error", "wrong_token"])
async def test_token_never_in_errors_or_logs(fake, caplog, kind):
    token = "424242:Zq9-VeryS3cretTokenValue"
    base = "http://127.0.0.1:9" if kind == "connection_error" else fake.base_url
    caplog.set_level(logging.DEBUG)
    async with ZaloClient(token if kind == "wrong_token" else fake.token, base_url=base, timeout=2) as c:
        if kind == "http_error":
            # Put the secret in the server's description too: the client must still scrub it.
            c._token = fake.token
            fake.fail_next("getMe", status=500, description=f"boom for bot{fake.token}")
        with pytest.raises((RetryableError, PermanentError)) as info:
            await c.get_me()
        secret = c._token
    assert secret not in str(info.value)
    assert secret.split(":")[1] not in str(info.value) + info.value.reason
    assert secret not in caplog.text and secret.split(":")[1] not in caplog.text
    assert caplog.records, "the failure should have been logged"
    assert "ZaloClient" in repr(c) and secret not in repr(c)
