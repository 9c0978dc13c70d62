"""A web worker whose Redis is down never answers 200 for an update it then drops.

Redis is reached through a small TCP proxy this test owns, so "Redis down" is the proxy stopped (the
shared Redis server other tests use keeps running), and "Redis back" is the proxy started on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from urllib.parse import urlsplit

import aiohttp
import pytest

from tests.scale.conftest import headers, start_node
from tests.scale.test_webhook import start_update


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; ``stop`` closes the port and every open connection."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._writers |= {writer, up_writer}
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(src, dst))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            dst.close()
            self._writers.discard(dst)


@pytest.fixture
async def redis_proxy(redis_url: str):
    parts = urlsplit(redis_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    await proxy.start()
    yield proxy
    if proxy._server is not None:
        await proxy.stop()


@pytest.mark.redis
async def test_redis_down_update_refused_then_answered_once_on_retry(web_settings, fake_tg, redis_url,
                                                                     redis_prefix, redis_proxy):
    db = urlsplit(redis_url).path or "/0"
    settings = web_settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{redis_proxy.port}{db}",
                                               "redis_prefix": redis_prefix})
    fake_tg.add_chat(7401, "private", first_name="An")
    node = await start_node(settings)
    update = json.dumps(start_update(740101, 7401))
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(node.hook_url, data=update, headers=headers()) as resp:
                assert resp.status == 200  # Redis up: accepted as usual
            await node.server.drain(5)
            assert len(fake_tg.messages_for(7401)) == 1

            await redis_proxy.stop()  # Redis goes away
            retried = json.dumps(start_update(740102, 7401, "/help"))
            for _ in range(3):  # Telegram resends while Redis stays down: refused every time
                async with http.post(node.hook_url, data=retried, headers=headers()) as resp:
                    assert resp.status == 503
            await node.server.drain(5)
            async with http.get(node.base + "/healthz") as resp:
                assert resp.status == 503 and (await resp.json())["redis"] == "down"

            await redis_proxy.start()  # Redis is back on the same address; Telegram resends once more
            for _ in range(2):  # and, as it may, twice: the de-duplication still holds
                async with http.post(node.hook_url, data=retried, headers=headers()) as resp:
                    assert resp.status == 200
            await node.server.drain(5)
        answers = fake_tg.messages_for(7401)
        assert len(answers) == 2, [m.text for m in answers]  # /start's welcome, then /help exactly once
    finally:
        with contextlib.suppress(Exception):
            await node.stop()
