"""`hocbac web`: the aiohttp webhook server. Start it N times behind a load balancer.

Each request: check the secret header (constant time; 403 otherwise), parse the body, start the work in
the background and answer 200 at once, so Telegram never times out and resends. The background set is
bounded: when it is full the next request waits for a free slot (back-pressure, not unbounded memory).
On shutdown the server stops accepting and drains what it started.

With Redis configured (locks, de-duplication and conversation state live there), a request is acknowledged
only after Redis answered a PING: when Redis is down the worker answers 503 and Telegram (or Zalo) sends the
update again later, instead of a 200 for an update the background work would then fail on and drop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.channels.telegram.runtime import build_intake, feed_raw_update
from bot.channels.webjson import MAX_BODY_BYTES, BadBody, read_json
from bot.logs import hash_id
from bot.scale.metrics import Metrics, add_ops_routes

if TYPE_CHECKING:
    from bot.app import App
    from bot.channels.telegram.thin import ThinChannel as TelegramChannel

log = logging.getLogger("hocbac.web")

TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _update_user(payload: dict[str, Any]) -> str:
    """A hashed user id for the log line (never the raw id)."""
    for value in payload.values():
        if isinstance(value, dict):
            user = value.get("from")
            if isinstance(user, dict) and "id" in user:
                return hash_id(user["id"])
    return "-"


class WebhookServer:
    def __init__(
        self,
        app: App,
        telegram: TelegramChannel | None,
        secret: str,
        *,
        zalo_channels: Mapping[str, Any] | None = None,
        metrics: Metrics | None = None,
        max_tasks: int = 256,
        drain_timeout: float = 25.0,
        telegram_path: str = "/telegram/webhook",
        zalo_path: str = "/zalo/webhook",
        redis_timeout: float = 5.0,
        other_telegrams: Mapping[str, TelegramChannel] | None = None,
    ) -> None:
        if (telegram is not None or other_telegrams) and not secret:
            raise ValueError("WEBHOOK_SECRET is required for the Telegram webhook")
        self.app = app
        self.telegram = telegram
        self.secret = secret.encode()
        self.metrics = metrics or Metrics()
        self.max_tasks = max_tasks
        self.drain_timeout = drain_timeout
        self.telegram_path = telegram_path
        self.zalo_path = zalo_path
        self.redis_timeout = redis_timeout
        self.zalo_channels = dict(zalo_channels or {})
        self.tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(max_tasks)
        self._handle = self.metrics.instrument(app.handle)
        self._intake = build_intake(telegram, self._handle) if telegram is not None else None
        # The bots of TELEGRAM_BOTS: each on its own path, {telegram_path}/{key}, with its own intake, so an
        # update is read by the bot it was sent to and its replies go back through that bot.
        self.other_telegrams = dict(other_telegrams or {})
        self._other_intakes = {key: build_intake(ch, self._handle) for key, ch in self.other_telegrams.items()}
        self._zalo_handler: Any = None
        self.accepting = True

    def build(self) -> web.Application:
        web_app = web.Application(client_max_size=MAX_BODY_BYTES)
        if self.telegram is not None:
            web_app.router.add_post(self.telegram_path, self.telegram_webhook)
        for key in self.other_telegrams:
            web_app.router.add_post(f"{self.telegram_path.rstrip('/')}/{key}", partial(self.telegram_webhook, key=key))
        if self.zalo_channels:
            from bot.channels.zalo.webhook import make_webhook_handler

            self._zalo_handler = make_webhook_handler(self.zalo_channels, self._handle)
            zalo = self._zalo_handler

            async def zalo_webhook(request: web.Request) -> web.StreamResponse:
                if not self.accepting or not await self.redis_ready():
                    self.metrics.webhook.labels("zalo", "503").inc()
                    return web.json_response({"ok": False}, status=503)
                response = await zalo(request)
                self.metrics.webhook.labels("zalo", str(response.status)).inc()
                return response

            web_app.router.add_post(self.zalo_path, zalo_webhook)
        add_ops_routes(web_app.router, self.app, self.metrics)
        web_app.on_shutdown.append(self._on_shutdown)
        return web_app

    async def telegram_webhook(self, request: web.Request, key: str = "") -> web.Response:
        given = request.headers.get(TELEGRAM_SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            log.warning("telegram webhook: wrong or missing secret from %s", request.remote)
            return self._answer("telegram", 403)
        if not self.accepting:
            return self._answer("telegram", 503)  # shutting down: Telegram retries on another worker
        if not await self.redis_ready():
            return self._answer("telegram", 503)  # never acknowledge an update we cannot handle
        try:
            payload = await read_json(request)
        except BadBody as exc:
            log.info("telegram webhook: refused body from %s: %s", request.remote, exc.reason)
            return self._answer("telegram", exc.status)
        if not isinstance(payload, dict):
            return self._answer("telegram", 400)
        if log.isEnabledFor(logging.DEBUG):  # the user id is hashed only when the line is written
            log.debug("update %s from user %s", payload.get("update_id"), _update_user(payload))
        await self._slots.acquire()  # back-pressure when the background set is full
        task = asyncio.create_task(self._process(payload, key) if key else self._process(payload))
        self.tasks.add(task)
        self.metrics.in_flight.set(len(self.tasks))
        task.add_done_callback(self._done)
        return self._answer("telegram", 200)

    async def redis_ready(self) -> bool:
        """True without Redis, or when Redis answers a PING within ``redis_timeout`` seconds."""
        redis = self.app.redis
        if redis is None:
            return True
        try:
            async with asyncio.timeout(self.redis_timeout):  # no extra task per request (wait_for makes one)
                await redis.ping()
        except Exception as exc:  # ConnectionError, TimeoutError, a reset connection: all mean "not now"
            log.warning("webhook: Redis unreachable (%s); answering 503 so the update is sent again",
                        type(exc).__name__)
            return False
        return True

    def _answer(self, route: str, status: int) -> web.Response:
        self.metrics.webhook.labels(route, str(status)).inc()
        return web.json_response({"ok": status == 200}, status=status)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        self._slots.release()
        self.metrics.in_flight.set(len(self.tasks))

    async def _process(self, payload: dict[str, Any], key: str = "") -> None:
        if key:
            intake, channel = self._other_intakes[key], self.other_telegrams[key]
        else:
            assert self._intake is not None and self.telegram is not None
            intake, channel = self._intake, self.telegram
        try:
            await feed_raw_update(intake, channel, payload)
        except Exception:
            log.exception("webhook: update %s failed", payload.get("update_id"))

    async def drain(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        """Wait for background work; True when everything finished within the timeout."""
        pending = list(self.tasks)
        if self._zalo_handler is not None:
            pending += list(self._zalo_handler.webhook.tasks)
        if not pending:
            return True
        limit = timeout if timeout is not None else self.drain_timeout
        _done, still = await asyncio.wait(pending, timeout=limit)
        return not still

    async def _on_shutdown(self, _app: web.Application) -> None:
        self.accepting = False
        if not await self.drain():
            log.warning("shutdown: %d updates still running after %.0f s; cancelling", len(self.tasks),
                        self.drain_timeout)
            for task in list(self.tasks):
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*self.tasks, return_exceptions=True)
