"""aiohttp handler for Zalo webhooks: check the secret, answer 200 at once, process in background.

Zalo sends each event as a POST with the secret given to setWebhook in ``X-Bot-Api-Secret-Token``.
Several bots may share one route; the secret tells them apart.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from bot.channels.webjson import BadBody, read_json
from bot.channels.zalo.channel import ZaloChannel
from bot.delivery import InboundHandler
from bot.messages import Inbound

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Api-Secret-Token"


class ZaloWebhook:
    """The webhook endpoint's logic. ``tasks`` keeps background work referenced until it finishes."""

    def __init__(self, channels_by_secret: Mapping[str, ZaloChannel], on_inbound: InboundHandler) -> None:
        if any(not secret for secret in channels_by_secret):
            raise ValueError("every Zalo webhook needs a non-empty secret")
        self._channels = dict(channels_by_secret)
        self._on_inbound = on_inbound
        self.tasks: set[asyncio.Task[None]] = set()

    def _channel_for(self, given: str) -> ZaloChannel | None:
        found = None
        for secret, channel in self._channels.items():
            # Compare against every secret, so the time taken says nothing about which was close.
            if hmac.compare_digest(given.encode(), secret.encode()):
                found = channel
        return found

    async def handle(self, request: web.Request) -> web.Response:
        channel = self._channel_for(request.headers.get(SECRET_HEADER, ""))
        if channel is None:
            log.warning("zalo webhook: wrong or missing secret from %s", request.remote)
            return web.json_response({"ok": False, "description": "forbidden"}, status=403)
        try:
            body = await read_json(request)
        except BadBody as exc:
            log.info("zalo webhook: refused body from %s: %s", request.remote, exc.reason)
            return web.json_response({"ok": False, "description": exc.reason}, status=exc.status)
        inbound = channel.to_inbound(body)  # None for junk and for duplicates
        if inbound is not None:
            task = asyncio.create_task(self._run(inbound, channel))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return web.json_response({"ok": True})

    async def _run(self, inbound: Inbound, channel: ZaloChannel) -> None:
        try:
            await self._on_inbound(inbound, channel)
        except Exception:
            log.exception("zalo webhook: handler failed on message %s", inbound.message_id)

    async def drain(self) -> None:
        """Wait for the background work started so far (shutdown, tests)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


WebhookHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_webhook_handler(
    channels_by_secret: Mapping[str, ZaloChannel], on_inbound: InboundHandler
) -> WebhookHandler:
    """Build the handler: ``app.router.add_post("/zalo/webhook", make_webhook_handler(...))``.

    The returned coroutine function carries the ZaloWebhook as ``.webhook`` (for ``drain()`` and
    its ``tasks``); aiohttp wants a real coroutine function, not a callable object."""
    hook = ZaloWebhook(channels_by_secret, on_inbound)

    async def zalo_webhook(request: web.Request) -> web.StreamResponse:
        return await hook.handle(request)

    zalo_webhook.webhook = hook  # type: ignore[attr-defined]
    return zalo_webhook
