"""Scale-mode fixtures: webhook worker nodes (real App + WebhookServer on 127.0.0.1:0) and shared settings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.app import App
from bot.channels.telegram.channel import TelegramChannel
from bot.compose import Composed, build
from bot.config import Settings
from bot.scale.web import TELEGRAM_SECRET_HEADER, WebhookServer

SECRET = "test-secret_0123456789abcdefABCDEF"


@dataclass
class WebNode:
    """One `hocbac web` worker, in-process."""

    composed: Composed
    runner: web.AppRunner
    base: str

    @property
    def app(self) -> App:
        return self.composed.app

    @property
    def channel(self) -> TelegramChannel:
        assert self.composed.telegram is not None
        return self.composed.telegram

    @property
    def server(self) -> WebhookServer:
        assert self.composed.webhook is not None
        return self.composed.webhook

    @property
    def hook_url(self) -> str:
        return self.base + self.app.settings.webhook_path

    async def stop(self) -> None:
        await self.runner.cleanup()
        await self.composed.close()


async def start_node(settings: Settings) -> WebNode:
    composed = await build(settings, mode="web")
    assert composed.webhook is not None
    runner = web.AppRunner(composed.webhook.build(), access_log=None, shutdown_timeout=2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return WebNode(composed, runner, f"http://127.0.0.1:{runner.addresses[0][1]}")


def headers(secret: str = SECRET) -> dict[str, str]:
    return {TELEGRAM_SECRET_HEADER: secret, "Content-Type": "application/json"}


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_secret": SecretStr(SECRET), "tick_seconds": 3600})


@pytest.fixture
async def redis_prefix(redis_url: str):
    """A random key prefix per test (other helpers share this Redis), deleted afterwards."""
    import redis.asyncio as aioredis

    prefix = f"hocbac-test-{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = aioredis.from_url(redis_url)
    keys = [k async for k in client.scan_iter(match=prefix + "*", count=1000)]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
def pg_settings(web_settings: Settings, pg_db_url: str) -> Settings:
    return web_settings.model_copy(update={"database_url": pg_db_url})


@pytest.fixture
def scale_settings(pg_settings: Settings, redis_url: str, redis_prefix: str) -> Settings:
    """PostgreSQL + Redis, as in a scale-out deployment."""
    return pg_settings.model_copy(update={"redis_url": redis_url, "redis_prefix": redis_prefix})


def outbox_rows(n: int, due_at, chat_base: int = 10_000, ref: str = "broadcast:test") -> list[dict]:
    """``n`` pending broadcast rows to distinct private chats (bulk insert values)."""
    return [{"key": f"{ref}:{i}", "kind": "broadcast", "ref": ref, "channel": "telegram",
             "chat_id": str(chat_base + i), "bot": "", "payload": {"text": f"Thông báo <b>số {i}</b>"},
             "status": "pending", "priority": 5, "due_at": due_at, "attempts": 0, "created_at": due_at}
            for i in range(n)]
