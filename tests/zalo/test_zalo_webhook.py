import contextlib
import logging

import pytest
from aiohttp import web

from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.webhook import make_webhook_handler

SECRET = "right-secret-123"


@contextlib.asynccontextmanager
async def serve(handler):
    app = web.Application()
    app.router.add_post("/zalo/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/zalo/webhook"
    finally:
        await runner.cleanup()


@pytest.fixture
async def hooked(fake, client):
    seen = []

    async def on_inbound(inbound, channel):
        seen.append((inbound, channel))

    channel = ZaloChannel("main", client)
    handler = make_webhook_handler({SECRET: channel}, on_inbound)
    async with serve(handler) as url:
        await client.set_webhook(url, SECRET)
        yield fake, handler, seen, channel


@pytest.mark.parametrize("wrapped", [True, False])
async def test_right_secret_handled_once(hooked, wrapped):
    fake, handler, seen, channel = hooked
    fake.webhook_wrapped = wrapped
    await fake.inject_text(fake.user("u1", "Lan"), "/homnay")
    await handler.webhook.drain()
    assert fake.webhook_statuses == [200]
    assert len(seen) == 1
    inbound, got_channel = seen[0]
    assert inbound.command == "homnay" and got_channel is channel


async def test_wrong_secret_is_403_and_not_handled(hooked):
    fake, handler, seen, _ = hooked
    fake.webhook_secret_override = "wrong-secret-123"
    await fake.inject_text(fake.user("u1", "Lan"), "hi")
    fake.webhook_secret_override = ""
    await fake.inject_text(fake.user("u1", "Lan"), "hi again")
    await handler.webhook.drain()
    assert fake.webhook_statuses == [403, 403]
    assert seen == []


async def test_repeated_message_id_dropped(hooked):
    fake, handler, seen, _ = hooked
    update = await fake.inject_text(fake.user("u1", "Lan"), "một lần thôi")
    await fake.inject_raw(update)  # Zalo redelivers the same event
    await handler.webhook.drain()
    assert fake.webhook_statuses == [200, 200]  # still acknowledged, so Zalo stops retrying
    assert [i.text for i, _ in seen] == ["một lần thôi"]


async def test_getupdates_refused_while_webhook_active(hooked, client):
    from bot.delivery import PermanentError

    with pytest.raises(PermanentError):
        await client.get_updates(timeout=1)


async def test_handler_failure_does_not_break_the_endpoint(fake, client):
    calls = []

    async def boom(inbound, channel):
        calls.append(inbound.text)
        raise RuntimeError("handler bug")

    handler = make_webhook_handler({SECRET: ZaloChannel("main", client)}, boom)
    async with serve(handler) as url:
        await client.set_webhook(url, SECRET)
        user = fake.user("u1", "Lan")
        await fake.inject_text(user, "a")
        await fake.inject_text(user, "b")
        await handler.webhook.drain()
    assert fake.webhook_statuses == [200, 200]
    assert calls == ["a", "b"]
    assert not handler.webhook.tasks


def test_empty_secret_refused(client):
    with pytest.raises(ValueError):
        make_webhook_handler({"": ZaloChannel("main", client)}, None)


@pytest.mark.parametrize(("body", "status"), [
    (b"[" * 100_000 + b"]" * 100_000, 400),  # json.loads raised RecursionError: 500 and a traceback
    (b'{"a": ' * 65 + b"1" + b"}" * 65, 400),  # deeper than the bound, though json could parse it
    (b'{"pad": "' + b"x" * (1024 * 1024) + b'"}', 413),  # larger than the body bound
])
async def test_deep_or_huge_body_refused_without_traceback(fake, client, caplog, body, status):
    import aiohttp

    seen = []

    async def on_inbound(inbound, channel):
        seen.append(inbound.text)

    handler = make_webhook_handler({SECRET: ZaloChannel("main", client)}, on_inbound)
    async with serve(handler) as url:
        await client.set_webhook(url, SECRET)
        async with aiohttp.ClientSession() as http:
            async with http.post(url, data=body, headers={"X-Bot-Api-Secret-Token": SECRET}) as resp:
                assert resp.status == status
        await fake.inject_text(fake.user("u1", "Lan"), "sau đó")  # a normal event right after is handled
        await handler.webhook.drain()
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert fake.webhook_statuses == [200]
    assert seen == ["sau đó"]
