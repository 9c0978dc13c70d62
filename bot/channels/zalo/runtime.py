"""The Zalo bots of ZALO_BOTS: one ZaloChannel per bot (channel key ``zalo:<bot_key>``), one long-poller
per bot (or the webhook route), and a small web server for media links (``/m/<token>``) and
``/zalo/webhook``.

Knows nothing of the App or the features: bot.compose gives it the inbound handler, the media reader and
the ``on_sent`` counter (the zalo_quota feature's), adds ``channels_by_key()`` to the App and starts it.
Used by ``hocbac run`` and by the test harness, so tests run the same wiring against FakeZalo.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.channels.media_links import ROUTE, MediaLinks, MediaReader, make_media_handler
from bot.channels.ratelimit import BotLimiter
from bot.channels.zalo.channel import OnQuota, OnSent, ZaloChannel
from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.errors import ZaloPermanentError
from bot.channels.zalo.webhook import make_webhook_handler
from bot.clock import Clock
from bot.config import Settings, StartupError
from bot.delivery import DeliveryError, InboundHandler, RetryableError

log = logging.getLogger("hocbac.zalo.runtime")

WEBHOOK_PATH = "/zalo/webhook"
# Zalo's docs: long polling is for development and testing, a webhook for production (API_NOTES #36).
POLLING_HINT = ("Zalo: chế độ polling (dùng khi thử nghiệm); khi chạy thật nên đặt ZALO_MODE=webhook / "
                "polling mode is for development: use ZALO_MODE=webhook in production (docs/zalo.md)")


def zalo_limiter(settings: Settings) -> BotLimiter:
    """Per-bot send limits for Zalo (unpublished by Zalo, so conservative and configurable)."""
    return BotLimiter(settings.zalo_send_per_sec, settings.zalo_chat_per_sec, settings.zalo_group_per_min)


def webhook_secret(settings: Settings, bot_key: str) -> str:
    """Each bot gets its own secret (the webhook tells bots apart by it), derived from one setting."""
    master = settings.zalo_webhook_secret.get_secret_value() if settings.zalo_webhook_secret else ""
    return hmac.new(master.encode(), f"zalo-webhook:{bot_key}".encode(), hashlib.sha256).hexdigest()[:48]


async def get_me_or_stop(settings: Settings, key: str, client: ZaloClient) -> dict[str, Any]:
    """getMe, or a StartupError of one line naming the key and what to do."""
    try:
        me = await client.check_token()
    except ZaloPermanentError as exc:
        if exc.error_code in (401, 403) or "token" in exc.reason.lower():
            raise StartupError("ZALO_BOTS", f"Zalo rejected the token of bot {key!r} ({exc.error_code})",
                               "Copy the token again from the Zalo Bot Manager message; it changes when "
                               "reset.") from None
        raise StartupError("ZALO_API_URL", f"{settings.zalo_api_url} did not answer getMe as the Zalo Bot API "
                           f"({exc.error_code})", "Correct ZALO_API_URL (default "
                           "https://bot-api.zaloplatforms.com).") from None
    except (RetryableError, DeliveryError) as exc:
        raise StartupError("ZALO_API_URL", f"cannot reach the Zalo Bot API at {settings.zalo_api_url} for bot "
                           f"{key!r} ({exc.reason})", "Check the network or firewall, or correct "
                           "ZALO_API_URL.") from None
    return me if isinstance(me, dict) else {}


def bot_names(me: dict[str, Any]) -> tuple[str, ...]:
    """The names a group @mention of the bot may carry (getMe's ``account_name``, and a display name if any)."""
    names = (me.get("display_name"), me.get("name"), me.get("account_name"))
    return tuple(n for n in names if isinstance(n, str) and n)


async def check_zalo_tokens(settings: Settings) -> dict[str, dict[str, Any]]:
    """getMe for every bot of ZALO_BOTS before anything else starts: bot key -> getMe's answer."""
    found: dict[str, dict[str, Any]] = {}
    for bot in settings.zalo_bots:
        async with ZaloClient(bot.token, base_url=settings.zalo_api_url) as client:
            found[bot.key] = await get_me_or_stop(settings, bot.key, client)
    return found


def log_verification(key: str, result: object) -> str:
    """Log the ``verification`` part of a setWebhook answer (whether Zalo could reach the address, and its
    hint) and return the line. The field's exact shape is unconfirmed (API_NOTES #37): read defensively."""
    verification = result.get("verification") if isinstance(result, dict) else None
    if verification is None:
        line = f"zalo {key}: webhook set (Zalo gave no verification result)"
        log.info(line)
        return line
    if isinstance(verification, dict):
        status = verification.get("status", verification.get("success", verification.get("ok", "?")))
        hint = verification.get("hint") or verification.get("message") or verification.get("description") or ""
    else:
        status, hint = verification, ""
    ok = status is True or str(status).lower() in ("ok", "success", "succeeded", "verified", "true", "passed")
    line = f"zalo {key}: webhook verification {'passed' if ok else 'FAILED'} ({status})" + (
        f"; hint: {hint}" if hint else "")
    (log.info if ok else log.error)(line)
    return line


class ZaloRuntime:
    def __init__(self, settings: Settings, clock: Clock, handle: InboundHandler, *,
                 media_reader: MediaReader | None = None, on_sent: OnSent | None = None,
                 on_quota: OnQuota | None = None,
                 poll_timeout: int = 30) -> None:
        self.settings = settings
        self.handle = handle
        self.media_reader = media_reader
        self.poll_timeout = poll_timeout
        self.channels: dict[str, ZaloChannel] = {}
        self.links: MediaLinks | None = None
        self.local_url = ""  # where the web server listens (tests point PUBLIC_BASE_URL-made links here)
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._webhook: Any = None
        if not self.enabled:
            return
        if settings.public_base_url and settings.media_link_secret and media_reader is not None:
            self.links = MediaLinks(settings.media_link_secret.get_secret_value(), settings.public_base_url,
                                    clock, timedelta(hours=settings.media_link_ttl_hours))
        for bot in settings.zalo_bots:  # no I/O here: a client opens its session on first use
            client = ZaloClient(bot.token, base_url=settings.zalo_api_url)
            self.channels[bot.key] = ZaloChannel(bot.key, client, on_sent=on_sent, on_quota=on_quota,
                                                 public_url=self.links.url if self.links else None)

    @property
    def enabled(self) -> bool:
        return bool(self.settings.zalo_bots)

    def channels_by_key(self) -> dict[str, ZaloChannel]:
        """The channels under the keys the outbox and the sender use (``zalo:<bot_key>``)."""
        return {f"zalo:{key}": channel for key, channel in self.channels.items()}

    async def start(self, stop: asyncio.Event) -> None:
        if not self.enabled:
            return
        settings = self.settings
        webhook = settings.zalo_mode == "webhook"
        for key, channel in self.channels.items():
            if not channel.bot_id:  # ``check_tokens`` may have asked already (before the database)
                await self._check_token(key, channel)  # before anything listens: a bad token is one line
        if self.links is not None or webhook:
            await self._start_web(webhook)
        for key, channel in self.channels.items():
            if webhook:
                await self._set_webhook(key, channel)
            else:
                await self._clear_webhook(key, channel)
                poller = channel.poll_forever(self.handle, stop, poll_timeout=self.poll_timeout)
                self._tasks.append(asyncio.create_task(poller, name=f"zalo:{key}"))
        log.info("zalo: %d bot(s) in %s mode", len(self.channels), settings.zalo_mode)
        if not webhook:
            log.warning(POLLING_HINT)

    @property
    def polling_hint(self) -> str:
        """The line ``hocbac run`` prints when the Zalo bots poll (empty in webhook mode)."""
        return POLLING_HINT if self.enabled and self.settings.zalo_mode != "webhook" else ""

    async def check_tokens(self) -> None:
        """getMe for every bot (``build`` calls it before the database is touched)."""
        for key, channel in self.channels.items():
            await self._check_token(key, channel)

    async def _check_token(self, key: str, channel: ZaloChannel) -> None:
        """getMe at start: keep the bot's own id (its echoed messages are ignored) or stop with one line."""
        me = await get_me_or_stop(self.settings, key, channel.client)
        channel.bot_id = str(me.get("id") or "")
        channel.bot_names = bot_names(me)
        log.info("zalo %s: getMe ok (id %s, %s)", key, channel.bot_id or "?", me.get("account_name", "?"))

    async def _start_web(self, webhook: bool) -> None:
        web_app = web.Application()
        if self.links is not None and self.media_reader is not None:
            web_app.router.add_get(ROUTE, make_media_handler(self.links, self.media_reader))
        if webhook:
            secrets = {webhook_secret(self.settings, key): ch for key, ch in self.channels.items()}
            handler = make_webhook_handler(secrets, self.handle)
            self._webhook = handler.webhook  # type: ignore[attr-defined]
            web_app.router.add_post(WEBHOOK_PATH, handler)
        self._runner = web.AppRunner(web_app, access_log=None)  # media tokens stay out of access logs
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.web_host, self.settings.web_port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.local_url = f"http://{host}:{port}"

    async def _set_webhook(self, key: str, channel: ZaloChannel) -> None:
        url = f"{self.settings.public_base_url}{WEBHOOK_PATH}"
        try:
            result = await channel.client.set_webhook(url, webhook_secret(self.settings, key))
        except Exception as exc:  # Zalo down at start: log it; the operator sees it and restarts
            log.error("zalo %s: setWebhook failed: %s", key, exc)
            return
        log_verification(key, result)

    async def _clear_webhook(self, key: str, channel: ZaloChannel) -> None:
        """getUpdates does not work while a webhook is set (API_NOTES #10)."""
        try:
            if await channel.client.get_webhook_info():
                await channel.client.delete_webhook()
                log.info("zalo %s: removed the old webhook to poll instead", key)
        except Exception as exc:
            log.warning("zalo %s: could not check the webhook: %s", key, exc)

    async def stop(self) -> None:
        for task in self._tasks:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=5)
        self._tasks.clear()
        if self._webhook is not None:
            await self._webhook.drain()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for channel in self.channels.values():
            await channel.close()
