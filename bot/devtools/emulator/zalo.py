"""FakeZalo: a local stand-in for bot-api.zaloplatforms.com, for tests and the emulator.

It speaks the Bot API as documented (see bot/channels/zalo/API_NOTES.md): {ok, result} envelopes,
getUpdates handing out ONE update per call or HTTP 408 when idle, 2000-character texts, webhooks
with X-Bot-Api-Secret-Token. It records what the bot sends like a chat transcript, and hosts files
(so injected photos have a URL the bot can download). Listens on 127.0.0.1, port 0.

Errors follow Zalo's table (:data:`ERROR_TABLE`, "Bảng mã lỗi"; API_NOTES.md "Quota and error codes"): note
403 "Internal server error" and 429 "Quota exceeded". ``monthly_quota`` (per bot token, counted per calendar
month of ``clock`` in Vietnam time) answers 429 "Quota exceeded" to every send past it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from bot.channels.zalo.render import numbered_choice_items, numbered_choices, utf16_len
from bot.devtools.emulator.zalo_user import ZaloUser

TEXT_LIMIT = 2000
DEFAULT_TOKEN = "1234567890:fake-zalo-token-abcdefgh"
# Zalo Bot Platform's error table (error_code -> description), as its docs list it.
ERROR_TABLE: dict[int, str] = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Internal server error",
    404: "Not found",
    408: "Request timeout",
    429: "Quota exceeded",
}
QUOTA_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # we assume the month turns at midnight Vietnam time (unconfirmed)


@dataclass
class FakeMessage:
    """One message the bot sent (as the fake saw it)."""

    message_id: str
    chat_id: str
    kind: str  # text | photo | sticker
    text: str = ""  # the caption for photos
    photo_url: str = ""
    sticker: str = ""
    token: str = ""
    date: int = 0

    @property
    def photo(self) -> bool:
        return self.kind == "photo"

    @property
    def buttons(self) -> list[str]:
        """Labels of the numbered choice list in this message, if any."""
        return numbered_choices(self.text)

    @property
    def choice_numbers(self) -> list[int]:
        """The numbers of those choices (they run on across cards: "4. …", "5. …")."""
        return [n for n, _label in numbered_choice_items(self.text)]

    def __str__(self) -> str:
        if self.photo:
            return f"[photo {self.photo_url}] {self.text}"
        return f"[sticker {self.sticker}]" if self.kind == "sticker" else self.text


@dataclass
class _Failure:
    method: str | None
    status: int
    error_code: int
    description: str
    retry_after: float | None = None


@dataclass
class _Webhook:
    url: str
    secret: str
    updated_at: int


@dataclass
class _BotState:
    updates: deque[dict[str, Any]] = field(default_factory=deque)
    webhook: _Webhook | None = None


def _private_host(url: str) -> bool:
    """localhost, or an IP address that is private, loopback or link-local (unreachable from Zalo)."""
    host = (urlsplit(url).hostname or "").lower()
    if host in ("localhost", "") or host.endswith(".local"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_private or ip.is_loopback or ip.is_link_local


def _now_ms() -> int:
    return int(time.time() * 1000)


def _error(status: int, code: int, description: str, **extra: Any) -> web.Response:
    body = {"ok": False, "error_code": code, "description": description, **extra}
    return web.json_response(body, status=status)


class FakeZalo:
    def __init__(
        self,
        tokens: tuple[str, ...] = (DEFAULT_TOKEN,),
        *,
        max_poll_wait: float = 1.0,
        webhook_wrapped: bool = True,
        monthly_quota: int | None = None,
        clock: Callable[[], datetime] | None = None,
        allow_private_webhook: bool = False,
    ) -> None:
        self.tokens = tokens
        self.token = tokens[0]
        # getUpdates waits at most this long whatever timeout the bot asks for (keeps tests fast).
        self.max_poll_wait = max_poll_wait
        self.webhook_wrapped = webhook_wrapped  # POST {"ok", "result": update} or the bare update
        # Messages a bot token may send per calendar month (None: unlimited), on ``clock`` (default: real time).
        self.monthly_quota = monthly_quota
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.month_sent: Counter[tuple[str, str]] = Counter()  # (token, "YYYY-MM") -> messages sent
        # Zalo must reach the webhook from the internet, so a private address is refused; tests whose bot
        # listens on 127.0.0.1 allow it.
        self.allow_private_webhook = allow_private_webhook
        self.bot_name = "Bot Học Bác"  # Zalo bot names must start with "Bot"; getMe's account_name here
        self.unheard: list[dict[str, Any]] = []  # group messages the bot never got (no @mention, no reply)
        self.webhook_secret_override: str | None = None  # send this instead of the real secret
        self.webhook_statuses: list[int] = []
        self.sent: list[FakeMessage] = []
        self.injected: list[dict[str, Any]] = []  # every update the "users" produced, in order
        self.stats: Counter[str] = Counter()
        self.known_chats: set[str] = set()
        self.blocked: set[str] = set()
        self.changed = asyncio.Condition()  # notified on every outgoing message
        self._bots = {t: _BotState() for t in tokens}
        self._update_arrived = asyncio.Condition()
        self._failures: list[_Failure] = []
        self._rate: tuple[int, float, float] | None = None  # (calls, per seconds, retry_after)
        self._rate_calls: deque[float] = deque()
        self._files: dict[str, tuple[bytes, str]] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.base_url = ""

    # --- lifecycle ---------------------------------------------------------------------------------

    async def __aenter__(self) -> FakeZalo:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/files/{name}", self._serve_file)
        self._runner = web.AppRunner(app, access_log=None)  # access logs would print the token URLs
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- test controls -------------------------------------------------------------------------------

    def user(self, user_id: str, display_name: str = "", *, chat_id: str | None = None,
             group: bool = False, token: str | None = None) -> ZaloUser:
        """A scripted person; ``token`` picks which of the fake's bots they write to (default: the first)."""
        u = ZaloUser(self, str(user_id), display_name or f"User {user_id}", chat_id=chat_id, group=group,
                     token=token)
        self.known_chats.add(u.chat_id)
        return u

    def block(self, user_id: str) -> None:
        """The person blocked the bot: sends to their chat fail."""
        self.blocked.add(str(user_id))

    def fail_next(self, method: str | None = None, *, status: int = 500, error_code: int | None = None,
                  description: str | None = None, retry_after: float | None = None,
                  times: int = 1) -> None:
        """Make the next ``times`` calls (of ``method``, or any) fail. ``status=200`` gives an
        ok:false envelope at HTTP 200, as Zalo does for some errors. The description defaults to the
        error table's (403: "Internal server error", 429: "Quota exceeded")."""
        code = error_code or status
        text = description if description is not None else ERROR_TABLE.get(code, "Internal server error")
        for _ in range(times):
            self._failures.append(_Failure(method, status, code, text, retry_after))

    def month_of(self, at: datetime | None = None) -> str:
        local = (at or self.clock()).astimezone(QUOTA_TZ)
        return f"{local.year:04d}-{local.month:02d}"

    def quota_used(self, token: str | None = None) -> int:
        return self.month_sent[(token or self.token, self.month_of())]

    def rate_limit(self, calls: int, per_seconds: float = 1.0, retry_after: float = 1.0) -> None:
        """Answer 429 once more than ``calls`` send* calls happen within ``per_seconds``."""
        self._rate = (calls, per_seconds, retry_after)

    def host_file(self, data: bytes, content_type: str = "image/jpeg") -> str:
        name = secrets.token_hex(8)
        self._files[name] = (data, content_type)
        return f"{self.base_url}/files/{name}"

    def messages_for(self, chat_id: str) -> list[FakeMessage]:
        return [m for m in self.sent if m.chat_id == str(chat_id)]

    def pending_updates(self, token: str | None = None) -> int:
        return len(self._bots[token or self.token].updates)

    # --- injection ------------------------------------------------------------------------------------

    def _message(self, user: ZaloUser, **fields: Any) -> dict[str, Any]:
        return {
            "from": {"id": user.user_id, "display_name": user.display_name, "is_bot": False},
            "chat": {"id": user.chat_id, "chat_type": "GROUP" if user.group else "PRIVATE"},
            "message_id": secrets.token_hex(10),
            "date": _now_ms(),
            **fields,
        }

    async def inject_text(self, user: ZaloUser, text: str, token: str | None = None, *,
                          reply_to_bot: bool = False) -> dict[str, Any]:
        """A text message. In a group, Zalo passes the bot only messages that @mention it or reply to one
        of its messages (API_NOTES #40); anything else lands in ``unheard``."""
        update = {"event_name": "message.text.received", "message": self._message(user, text=text)}
        if user.group and not reply_to_bot and not text.lstrip().startswith("@"):
            self.unheard.append(update)
            return update
        return await self.inject_raw(update, token)

    async def inject_image(self, user: ZaloUser, photo_url: str, caption: str = "",
                           token: str | None = None, *, field: str = "photo_url") -> dict[str, Any]:
        """An image message; the URL sits under ``photo_url`` or (as some payloads have it) ``photo``."""
        fields: dict[str, Any] = {field: photo_url}
        if caption:
            fields["caption"] = caption
        update = {"event_name": "message.image.received", "message": self._message(user, **fields)}
        return await self.inject_raw(update, token)

    async def inject_voice(self, user: ZaloUser, voice_url: str, token: str | None = None) -> dict[str, Any]:
        update = {"event_name": "message.voice.received", "message": self._message(user, voice_url=voice_url)}
        return await self.inject_raw(update, token)

    async def inject_sticker(self, user: ZaloUser, sticker: str = "fake-sticker",
                             token: str | None = None) -> dict[str, Any]:
        update = {"event_name": "message.sticker.received", "message": self._message(user, sticker=sticker)}
        return await self.inject_raw(update, token)

    async def inject_unsupported(self, user: ZaloUser, token: str | None = None) -> dict[str, Any]:
        update = {"event_name": "message.unsupported.received", "message": self._message(user)}
        return await self.inject_raw(update, token)

    async def inject_raw(self, update: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        """Queue ``update`` for getUpdates, or POST it to the webhook when one is set (awaiting the
        bot's answer; its HTTP status lands in ``webhook_statuses``). Inject the same dict twice to
        test duplicate delivery."""
        state = self._bots[token or self.token]
        self.injected.append(update)
        if state.webhook is not None:
            await self._post_webhook(state.webhook, update)
        else:
            async with self._update_arrived:
                state.updates.append(update)
                self._update_arrived.notify_all()
        return update

    async def _post_webhook(self, hook: _Webhook, update: dict[str, Any]) -> None:
        assert self._http is not None
        body = {"ok": True, "result": update} if self.webhook_wrapped else update
        secret = hook.secret if self.webhook_secret_override is None else self.webhook_secret_override
        async with self._http.post(hook.url, json=body, headers={"X-Bot-Api-Secret-Token": secret}) as resp:
            self.webhook_statuses.append(resp.status)

    # --- the API ----------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        self.stats[f"call:{method}"] += 1
        if token not in self._bots:
            return _error(401, 401, "Unauthorized: invalid token")
        params: dict[str, Any] = {}
        if request.can_read_body:
            if request.content_type == "application/json":
                with contextlib.suppress(ValueError):
                    params = dict(await request.json())
            else:
                params = dict(await request.post())
        params = {**request.query, **params}
        failure = next((f for f in self._failures if f.method in (None, method)), None)
        if failure is not None:
            self._failures.remove(failure)
            self.stats["failed"] += 1
            extra = {"parameters": {"retry_after": failure.retry_after}} if failure.retry_after else {}
            return _error(failure.status, failure.error_code, failure.description, **extra)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, 404, f"Method {method} not found")
        return await handler(token, params)

    def _limited(self) -> web.Response | None:
        if self._rate is None:
            return None
        calls, window, retry_after = self._rate
        now = time.monotonic()
        while self._rate_calls and now - self._rate_calls[0] > window:
            self._rate_calls.popleft()
        if len(self._rate_calls) >= calls:
            self.stats["rate_limited"] += 1
            return _error(429, 429, "Too Many Requests", parameters={"retry_after": retry_after})
        self._rate_calls.append(now)
        return None

    def _over_quota(self, token: str) -> web.Response | None:
        if self.monthly_quota is None or self.month_sent[(token, self.month_of())] < self.monthly_quota:
            return None
        self.stats["quota_exceeded"] += 1
        return _error(429, 429, ERROR_TABLE[429])

    def _check_chat(self, params: dict[str, Any], token: str = "") -> tuple[str, web.Response | None]:
        chat_id = str(params.get("chat_id", ""))
        if not chat_id:
            return chat_id, _error(400, 400, "Bad Request: chat_id is required")
        if chat_id in self.blocked:
            return chat_id, _error(403, 403, "Forbidden: the user has blocked the bot")
        if chat_id not in self.known_chats:
            # Zalo-style: HTTP 200 yet ok:false.
            return chat_id, _error(200, 404, "Chat not found")
        if token:
            over = self._over_quota(token)
            if over is not None:
                return chat_id, over
        return chat_id, self._limited()

    async def _record(self, msg: FakeMessage) -> web.Response:
        async with self.changed:
            self.month_sent[(msg.token, self.month_of())] += 1
            self.sent.append(msg)
            self.stats[f"sent:{msg.kind}"] += 1
            self.changed.notify_all()
        return web.json_response({"ok": True, "result": {"message_id": msg.message_id, "date": msg.date}})

    def _new(self, token: str, chat_id: str, kind: str, **fields: Any) -> FakeMessage:
        return FakeMessage(message_id=f"bot-{next(self._ids)}", chat_id=chat_id, kind=kind, token=token,
                           date=_now_ms(), **fields)

    async def _api_getMe(self, token: str, params: dict[str, Any]) -> web.Response:
        bot_id = token.split(":", 1)[0]
        return web.json_response({"ok": True, "result": {
            "id": bot_id, "account_name": self.bot_name, "account_type": "BASIC",
            "can_join_groups": True}})

    async def _api_getUpdates(self, token: str, params: dict[str, Any]) -> web.Response:
        state = self._bots[token]
        if state.webhook is not None:
            return _error(200, 409, "Conflict: webhook is active, delete it before getUpdates")
        try:
            wait = min(float(params.get("timeout", 30)), self.max_poll_wait)
        except (TypeError, ValueError):
            return _error(400, 400, "Bad Request: timeout must be a number")
        async with self._update_arrived:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_arrived.wait_for(lambda: bool(state.updates)), wait)
            if not state.updates:
                return _error(408, 408, "Request timeout")
            update = state.updates.popleft()
        return web.json_response({"ok": True, "result": update})

    async def _api_setWebhook(self, token: str, params: dict[str, Any]) -> web.Response:
        url, secret = str(params.get("url", "")), str(params.get("secret_token", ""))
        private = _private_host(url)
        if private and not self.allow_private_webhook:
            return _error(400, 400, "Bad Request: webhook url must be a public address")
        if not url.startswith("https://") and not (private and self.allow_private_webhook):
            return _error(400, 400, "Bad Request: url must be HTTPS")
        if not 8 <= len(secret) <= 256:
            return _error(400, 400, "Bad Request: secret_token must be 8-256 characters")
        hook = _Webhook(url, secret, _now_ms())
        self._bots[token].webhook = hook
        verification = await self._verify(hook)
        return web.json_response({"ok": True, "result": {"url": url, "updated_at": hook.updated_at,
                                                         "verification": verification}})

    async def _verify(self, hook: _Webhook) -> dict[str, Any]:
        """Probe the new webhook as Zalo does (shape unconfirmed, API_NOTES #37): a POST with the secret."""
        assert self._http is not None
        try:
            async with self._http.post(hook.url, json={"ok": True, "result": {}},
                                       headers={"X-Bot-Api-Secret-Token": hook.secret},
                                       timeout=aiohttp.ClientTimeout(total=5)) as resp:
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            return {"status": "failed", "hint": f"cannot connect to the webhook url ({type(exc).__name__})"}
        if status == 200:
            return {"status": "success", "hint": ""}
        return {"status": "failed", "hint": f"the webhook answered HTTP {status}; it must answer 200"}

    async def _api_deleteWebhook(self, token: str, params: dict[str, Any]) -> web.Response:
        self._bots[token].webhook = None
        return web.json_response({"ok": True, "result": {"url": "", "updated_at": _now_ms()}})

    async def _api_getWebhookInfo(self, token: str, params: dict[str, Any]) -> web.Response:
        hook = self._bots[token].webhook
        if hook is None:
            return _error(404, 404, "Webhook not found")
        return web.json_response({"ok": True, "result": {"url": hook.url, "updated_at": hook.updated_at}})

    async def _api_sendMessage(self, token: str, params: dict[str, Any]) -> web.Response:
        chat_id, err = self._check_chat(params, token)
        if err is not None:
            return err
        text = params.get("text")
        if not isinstance(text, str) or not text:
            return _error(400, 400, "Bad Request: text is empty")
        if utf16_len(text) > TEXT_LIMIT:  # counted as other Zalo clients count (API_NOTES #21)
            return _error(400, 400, f"Bad Request: text too long (max {TEXT_LIMIT})")
        return await self._record(self._new(token, chat_id, "text", text=text))

    async def _api_sendPhoto(self, token: str, params: dict[str, Any]) -> web.Response:
        chat_id, err = self._check_chat(params, token)
        if err is not None:
            return err
        photo, caption = str(params.get("photo", "")), str(params.get("caption", "") or "")
        if not photo.startswith(("http://", "https://")):
            return _error(400, 400, "Bad Request: photo must be a URL")
        if utf16_len(caption) > TEXT_LIMIT:
            return _error(400, 400, f"Bad Request: caption too long (max {TEXT_LIMIT})")
        return await self._record(self._new(token, chat_id, "photo", text=caption, photo_url=photo))

    async def _api_sendSticker(self, token: str, params: dict[str, Any]) -> web.Response:
        chat_id, err = self._check_chat(params, token)
        if err is not None:
            return err
        sticker = str(params.get("sticker", ""))
        return await self._record(self._new(token, chat_id, "sticker", sticker=sticker))

    async def _api_sendChatAction(self, token: str, params: dict[str, Any]) -> web.Response:
        _, err = self._check_chat(params)
        if err is not None:
            return err
        self.stats["chat_action"] += 1
        return web.json_response({"ok": True})

    async def _serve_file(self, request: web.Request) -> web.Response:
        item = self._files.get(request.match_info["name"])
        if item is None:
            raise web.HTTPNotFound()
        return web.Response(body=item[0], content_type=item[1])
