"""The webhook server: secret check, fast 200 + background work, duplicates across workers, ops routes."""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloClient
from bot.scale.dedupe import RedisDedupe
from bot.scale.locks import RedisLocks
from bot.scale.web import WebhookServer
from storage.models.people import Identity
from storage.models.system import ProcessedUpdate
from tests.scale.conftest import SECRET, headers, start_node


def start_update(update_id: int, user_id: int = 7001, text: str = "/start") -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "An"}
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1700000000, "from": user,
        "chat": {"id": user_id, "type": "private", "first_name": "An"}, "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]}}


async def test_secret_is_checked(web_settings, fake_tg):
    fake_tg.add_chat(7001, "private", first_name="An")
    node = await start_node(web_settings)
    try:
        async with aiohttp.ClientSession() as http:
            body = json.dumps(start_update(1))
            for bad in ({"Content-Type": "application/json"}, headers("wrong"), headers(SECRET + "x"),
                        headers(SECRET[:-1])):
                async with http.post(node.hook_url, data=body, headers=bad) as resp:
                    assert resp.status == 403
            assert fake_tg.messages_for(7001) == []
            async with http.post(node.hook_url, data=body, headers=headers()) as resp:
                assert resp.status == 200
            async with http.post(node.hook_url, data="{not json", headers=headers()) as resp:
                assert resp.status == 400
        await node.server.drain(5)
        assert any("Chào mừng" in m.text for m in fake_tg.messages_for(7001))
    finally:
        await node.stop()


async def test_fake_telegram_delivers_through_set_webhook(web_settings, fake_tg):
    """End to end: the fake posts to our URL with the secret it was given, a scripted user talks."""
    node = await start_node(web_settings)
    try:
        await node.channel.bot.set_webhook(node.hook_url, secret_token=SECRET)
        an = fake_tg.user(7002, "Trần Văn An")
        await an.send("/start")
        await an.expect("Chào mừng")
        assert all(entry["status"] == 200 for entry in fake_tg.webhook_log)
    finally:
        await node.stop()


async def test_healthz_and_metrics(web_settings, fake_tg):
    fake_tg.add_chat(7001, "private", first_name="An")
    node = await start_node(web_settings)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(node.hook_url, data=json.dumps(start_update(5)), headers=headers()) as resp:
                assert resp.status == 200
            await node.server.drain(5)
            async with http.get(node.base + "/healthz") as resp:
                assert resp.status == 200
                # "bots": each bot's queue (nothing queued here; the sender's figures only where one runs)
                assert await resp.json() == {"database": "ok", "redis": "not configured", "bots": {}, "status": "ok"}
            async with http.get(node.base + "/metrics") as resp:
                text = await resp.text()
            assert 'hocbac_updates_handled_total{channel="telegram",kind="message"} 1.0' in text
            assert "hocbac_handler_seconds_bucket" in text
            assert "hocbac_scheduler_lag_seconds" in text
            assert 'hocbac_webhook_requests_total{route="telegram",status="200"} 1.0' in text
    finally:
        await node.stop()


async def test_healthz_reports_database_down(web_settings, fake_tg, tmp_path):
    node = await start_node(web_settings)
    try:
        async def down() -> bool:
            return False

        node.app.db.ping = down  # type: ignore[method-assign]
        async with aiohttp.ClientSession() as http, http.get(node.base + "/healthz") as resp:
            assert resp.status == 503
            assert (await resp.json())["database"] == "down"
    finally:
        await node.stop()


async def test_zalo_route_checks_its_own_secret(web_settings, fake_tg):
    node = await start_node(web_settings)
    seen = []

    async def on_inbound(inbound, channel):
        seen.append(inbound)

    client = ZaloClient("zalo-token-1", base_url="http://127.0.0.1:9")
    zalo = ZaloChannel("main", client)
    server = WebhookServer(node.app, None, "", zalo_channels={"zalo-secret-1": zalo})
    server._handle = on_inbound  # the route passes events to the app's handler; capture them here
    from aiohttp import web

    runner = web.AppRunner(server.build())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/zalo/webhook"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json={"event_name": "message.text.received"},
                                 headers={"X-Bot-Api-Secret-Token": "nope"}) as resp:
                assert resp.status == 403
            async with http.post(url, json={"event_name": "message.text.received"},
                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as resp:
                assert resp.status == 403
    finally:
        await runner.cleanup()
        await client.close()
        await node.stop()


async def test_background_set_is_bounded_and_drained(web_settings, fake_tg):
    for i in range(1, 4):
        fake_tg.add_chat(7100 + i, "private", first_name="An")
    node = await start_node(web_settings.model_copy(update={"web_max_tasks": 2}))
    release = asyncio.Event()
    running = []
    original = node.server._process

    async def slow(payload):
        running.append(payload["update_id"])
        await release.wait()
        await original(payload)

    node.server._process = slow  # type: ignore[method-assign]
    try:
        async with aiohttp.ClientSession() as http:
            posts = [asyncio.create_task(http.post(node.hook_url, data=json.dumps(start_update(i, 7100 + i)),
                                                   headers=headers())) for i in range(1, 4)]
            await asyncio.sleep(0.3)
            assert len(node.server.tasks) == 2  # the third request waits for a slot
            assert sum(p.done() for p in posts) == 2
            release.set()
            for p in posts:
                (await p).release()
        assert await node.server.drain(5)
        assert not node.server.tasks
        assert {m.chat_id for m in fake_tg.sent} >= {7101, 7102, 7103}
    finally:
        await node.stop()


@pytest.mark.postgres
@pytest.mark.redis
async def test_scale_app_uses_redis_locks_and_dedupe(scale_settings, fake_tg):
    node = await start_node(scale_settings)
    try:
        assert isinstance(node.app.dispatcher.locks, RedisLocks)
        assert isinstance(node.app.dispatcher.dedupe, RedisDedupe)
    finally:
        await node.stop()


async def _duplicate_to_two_workers(settings, fake_tg) -> tuple[int, int]:
    fake_tg.add_chat(7200, "private", first_name="An")
    a = await start_node(settings)
    b = await start_node(settings)
    try:
        update = json.dumps(start_update(424242, 7200))
        async with aiohttp.ClientSession() as http:
            results = await asyncio.gather(*(http.post(n.hook_url, data=update, headers=headers())
                                             for n in (a, b, a, b)))
            assert [r.status for r in results] == [200] * 4
            for r in results:
                r.release()
        await a.server.drain(5)
        await b.server.drain(5)
        async with a.app.db.session() as s:
            identities = (await s.execute(select(func.count()).select_from(Identity)
                                          .where(Identity.external_id == "7200"))).scalar_one()
        return len(fake_tg.messages_for(7200)), identities
    finally:
        await a.stop()
        await b.stop()


@pytest.mark.postgres
@pytest.mark.redis
async def test_duplicate_update_to_two_workers_has_one_effect(scale_settings, fake_tg):
    replies, identities = await _duplicate_to_two_workers(scale_settings, fake_tg)
    assert (replies, identities) == (1, 1)


@pytest.mark.postgres
async def test_duplicate_update_without_redis_uses_processed_update(pg_settings, fake_tg):
    replies, identities = await _duplicate_to_two_workers(pg_settings, fake_tg)
    assert (replies, identities) == (1, 1)
    node = await start_node(pg_settings)
    try:
        async with node.app.db.session() as s:
            rows = (await s.execute(select(ProcessedUpdate))).scalars().all()
        assert [(r.channel, r.update_id) for r in rows] == [("telegram", "424242")]
    finally:
        await node.stop()


@pytest.mark.parametrize(("body", "status"), [
    (b"[" * 100_000 + b"]" * 100_000, 400),  # json.loads raised RecursionError: 500 and a traceback
    (b'{"a": ' * 65 + b"1" + b"}" * 65, 400),  # deeper than the bound, though json could parse it
    (b'{"pad": "' + b"x" * (1024 * 1024) + b'"}', 413),  # larger than the body bound
])
async def test_deep_or_huge_body_refused_without_traceback(web_settings, fake_tg, caplog, body, status):
    fake_tg.add_chat(7301, "private", first_name="An")
    node = await start_node(web_settings)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(node.hook_url, data=body, headers=headers()) as resp:
                assert resp.status == status
            async with http.post(node.hook_url, data=json.dumps(start_update(31, 7301)), headers=headers()) as resp:
                assert resp.status == 200
        await node.server.drain(5)
        assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
        assert any("Chào mừng" in m.text for m in fake_tg.messages_for(7301))
    finally:
        await node.stop()
