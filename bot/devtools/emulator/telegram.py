"""A fake Telegram Bot API server (aiohttp, 127.0.0.1, port 0) for tests, benchmarks and the demo.

URLs follow the real API: ``{base}/bot{token}/{method}`` and ``{base}/file/bot{token}/{path}``.
Errors use Telegram's envelope and wording, so aiogram raises the same exceptions it would in
production. Method handlers live in telegram_methods.py; updates are built in telegram_inject.py.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from bot.devtools.emulator.ratelimit import RateLimiter, RateLimits
from bot.devtools.emulator.telegram_inject import InjectMixin
from bot.devtools.emulator.telegram_methods import METHODS, MethodsMixin
from bot.devtools.emulator.telegram_state import (
    TOKEN_RE,
    ApiError,
    OutEvent,
    SentMessage,
    StoredFile,
    user_json,
)

# Fields aiogram sends JSON-encoded inside form data.
JSON_FIELDS = frozenset({
    "reply_markup", "allowed_updates", "commands", "scope", "entities", "caption_entities",
    "link_preview_options", "reply_parameters", "menu_button",
})
INT_FIELDS = frozenset({"offset", "limit", "timeout", "message_id", "max_connections", "cache_time",
                        "duration"})
BOOL_FIELDS = frozenset({"drop_pending_updates", "show_alert", "disable_notification", "protect_content",
                         "disable_web_page_preview"})

# What Telegram's edge (nginx) has answered during real outages: an HTML page, not the JSON envelope.
NGINX_PAGE = ("<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
              "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Temporarily Unavailable",
            504: "Gateway Time-out"}


def nginx_page(status: int) -> str:
    return NGINX_PAGE.format(status=status, reason=_REASONS.get(status, "Error"))


class FakeTelegram(InjectMixin, MethodsMixin):
    """The fake server. See the package README section in the report for the full API."""

    def __init__(
        self,
        *,
        bot_username: str = "hocbac_test_bot",
        bot_first_name: str = "Học Bác",
        limits: RateLimits | None = None,
        clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_retries: int = 3,
    ) -> None:
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.limits = limits or RateLimits()
        self.limiter = RateLimiter(self.limits)
        self.clock = clock
        self.host, self.port = host, port
        self.webhook_retries = webhook_retries
        self.base_url = ""
        # Records.
        self.sent: list[SentMessage] = []
        self.out_events: list[OutEvent] = []
        self.events = asyncio.Condition()  # notified on every new message, edit or deletion
        self.stats: Counter[str] = Counter()
        self.errors: list[tuple[str, int, str]] = []  # (method, status, description) of every error answer
        self.error_times: list[float] = []  # when each of those was answered (self.clock)
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        # Every set/delete of a command list, in order: (method, scope key, language, command names).
        self.command_calls: list[tuple[str, str, str, list[str]]] = []
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.descriptions: dict[str, str] = {}
        self.menu_buttons: dict[str, Any] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.webhook_log: list[dict[str, Any]] = []
        # State.
        self.chats: dict[int, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        self.files: dict[str, StoredFile] = {}
        self.webhook: dict[str, Any] | None = None
        self._messages: dict[tuple[int, int], SentMessage] = {}
        self._next_message_id: dict[int, int] = {}
        self._pending: list[dict[str, Any]] = []
        self._updates_cond = asyncio.Condition()
        self._allowed_updates: list[str] | None = None
        self._next_update_id = 100_000
        self._poll_generation = 0
        self._faults: dict[str, list[ApiError]] = {}
        self._html_faults: dict[str, list[int]] = {}  # method -> statuses answered with an nginx HTML page
        self._garble: dict[str, int] = {}  # method -> how many more replies to garble after doing the work
        self._outage: tuple[int, frozenset[str] | None] | None = None  # (status, methods or None = all)
        self._token_outage: dict[str, int] = {}  # token -> status: one bot's outage, the others answered
        self.token_stats: dict[str, Counter[str]] = defaultdict(Counter)  # per token: "ok", "429", "5xx", …
        self.revoked_tokens: set[str] = set()  # tokens answered 401 Unauthorized (see revoke)
        self._seq = 0
        self._file_seq = 0
        self._callback_seq = 0
        self._stopping = False
        self._webhook_busy = False
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        # Several bots on one fake (TELEGRAM_BOTS): bot id (the token's prefix) -> that bot's own fake, with its
        # own username, updates, chats and sent messages. A token of no added bot is this fake's own bot.
        self._bots: dict[int, FakeTelegram] = {}

    # ---- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", r"/bot{token}/{method}", self._handle_api)
        app.router.add_get(r"/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1]
        self.base_url = f"http://{self.host}:{self.port}"
        self._client = aiohttp.ClientSession()
        self._webhook_task = asyncio.create_task(self._webhook_worker())
        return self

    async def add_bot(self, token: str, username: str, first_name: str = "Học Bác") -> FakeTelegram:
        """Serve another bot on this fake's address: calls with ``token`` (by its bot id) go to the returned
        fake, whose ``user(...)`` are people talking to that bot and whose ``sent`` is what that bot sent."""
        m = TOKEN_RE.match(token)
        if not m:
            raise ValueError("a bot token looks like 123456:secret")
        child = FakeTelegram(bot_username=username, bot_first_name=first_name, limits=self.limits,
                             clock=self.clock, host=self.host, port=self.port, webhook_retries=self.webhook_retries)
        child._bot_id = int(m.group(1))
        child.base_url = self.base_url
        child._client = aiohttp.ClientSession()
        child._webhook_task = asyncio.create_task(child._webhook_worker())
        self._bots[child._bot_id] = child
        return child

    def _bot_for(self, token: str) -> FakeTelegram | None:
        m = TOKEN_RE.match(token)
        return self._bots.get(int(m.group(1))) if m else None

    async def stop(self) -> None:
        for child in self._bots.values():
            await child.stop()
        self._stopping = True
        async with self._updates_cond:
            self._updates_cond.notify_all()
        if self._webhook_task:
            self._webhook_task.cancel()
            await asyncio.gather(self._webhook_task, return_exceptions=True)
        if self._client:
            await self._client.close()
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- test controls ---------------------------------------------------------------------------

    @property
    def bot_user(self) -> dict[str, Any]:
        # The bot id comes from the token: "the last token seen" that is not an added bot's (add_bot).
        data = user_json(self._bot_id, self.bot_first_name, username=self.bot_username, is_bot=True)
        return data

    _bot_id = 123

    def block(self, user_id: int) -> None:
        self.blocked.add(int(user_id))

    def unblock(self, user_id: int) -> None:
        self.blocked.discard(int(user_id))

    def fail_next(self, method: str, status: int = 500, description: str = "Internal Server Error",
                  retry_after: int | None = None, times: int = 1) -> None:
        queue = self._faults.setdefault(method.lower(), [])
        queue.extend(ApiError(status, description, retry_after) for _ in range(times))

    def fail_next_html(self, method: str, status: int = 502, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with the edge's HTML error page (no JSON)."""
        self._html_faults.setdefault(method.lower(), []).extend([status] * times)

    def down(self, status: int = 502, methods: list[str] | None = None) -> None:
        """An outage: every call (or those of ``methods``) gets the edge's HTML ``status`` page until ``up``."""
        self._outage = (status, frozenset(m.lower() for m in methods) if methods else None)

    def up(self) -> None:
        self._outage = None

    def down_token(self, token: str, status: int = 502) -> None:
        """An outage of one bot only: every call with ``token`` gets the edge's HTML page until ``up_token``."""
        self._token_outage[token] = status

    def up_token(self, token: str) -> None:
        self._token_outage.pop(token, None)
    def revoke(self, token: str) -> None:
        """The bot's token was revoked (BotFather /revoke): every call with it answers 401 Unauthorized."""
        self.revoked_tokens.add(token)

    def unrevoke(self, token: str) -> None:
        self.revoked_tokens.discard(token)

    def garble_next(self, method: str, times: int = 1) -> None:
        """Do the next ``times`` calls of ``method`` (the message is sent), then answer 200 with an HTML body
        the client cannot decode: the reply to a request that did go through got lost on the way back."""
        self._garble[method.lower()] = self._garble.get(method.lower(), 0) + times

    def messages_for(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.sent if m.chat_id == int(chat_id)]

    def events_for(self, chat_id: int) -> list[OutEvent]:
        return [e for e in self.out_events if e.chat_id == int(chat_id)]

    def message(self, chat_id: int, message_id: int) -> SentMessage | None:
        return self._messages.get((int(chat_id), int(message_id)))

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait (woken by each outgoing message/edit, no polling) until ``predicate()`` holds."""
        async with self.events:
            await asyncio.wait_for(self.events.wait_for(predicate), timeout)

    async def wait_webhook_idle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every pending update was delivered to (or given up on by) the webhook."""
        async with self._updates_cond:
            await asyncio.wait_for(
                self._updates_cond.wait_for(lambda: not self._pending and not self._webhook_busy), timeout
            )

    # ---- HTTP layer ------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        child = self._bot_for(request.match_info["token"])
        if child is not None:
            return await child._handle_api(request)
        self.stats["requests"] += 1
        token = request.match_info["token"]
        name = request.match_info["method"]
        try:
            m = TOKEN_RE.match(token)
            if not m or token in self.revoked_tokens:
                raise ApiError(401, "Unauthorized")
            self._bot_id = int(m.group(1))
            handler_name = METHODS.get(name.lower())
            if handler_name is None:
                raise ApiError(404, "Not Found: method not found")
            canonical = handler_name[len("m_"):]
            self.stats[canonical] += 1
            html_status = self._token_outage.get(token) or self._html_fault(name.lower())
            if html_status is not None:
                self.token_stats[token]["5xx" if html_status >= 500 else str(html_status)] += 1
                return self._html_error(name, html_status)
            faults = self._faults.get(name.lower())
            if faults:
                raise faults.pop(0)
            params, files = await self._read_params(request)
            result = await getattr(self, handler_name)(token, params, files)
            if self._garble.get(name.lower()):
                self._garble[name.lower()] -= 1
                self.stats["garbled"] += 1
                return web.Response(text="<html><body>OK</body></html>", status=200, content_type="text/html")
        except ApiError as err:
            key = "5xx" if err.status >= 500 else str(err.status)
            self.stats[key] += 1
            self.token_stats[token][key] += 1
            self.errors.append((name, err.status, err.description))
            self.error_times.append(self.clock())
            return web.json_response(err.envelope(), status=err.status)
        self.token_stats[token]["ok"] += 1
        return web.json_response({"ok": True, "result": result})

    def _html_fault(self, method: str) -> int | None:
        if self._outage is not None and (self._outage[1] is None or method in self._outage[1]):
            return self._outage[0]
        queue = self._html_faults.get(method)
        return queue.pop(0) if queue else None

    def _html_error(self, method: str, status: int) -> web.Response:
        self.stats["5xx" if status >= 500 else str(status)] += 1
        self.stats["html_errors"] += 1
        self.errors.append((method, status, "html"))
        self.error_times.append(self.clock())
        return web.Response(text=nginx_page(status), status=status, content_type="text/html")

    async def _handle_file(self, request: web.Request) -> web.Response:
        child = self._bot_for(request.match_info["token"])
        if child is not None:
            return await child._handle_file(request)
        if not TOKEN_RE.match(request.match_info["token"]):
            return web.json_response(ApiError(401, "Unauthorized").envelope(), status=401)
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path:
                mime = stored.mime_type or "application/octet-stream"
                return web.Response(body=stored.data, content_type=mime)
        return web.json_response(ApiError(404, "Not Found").envelope(), status=404)

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, StoredFile]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, StoredFile] = {}
        ctype = request.content_type
        if ctype == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    data = await part.read()
                    mime = part.headers.get("Content-Type", "application/octet-stream")
                    files[part.name] = StoredFile("", "", bytes(data), "", mime, part.filename)
                else:
                    params[part.name] = await part.text()
        elif ctype == "application/x-www-form-urlencoded":
            params.update(await request.post())
        elif ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON") from None
            if isinstance(body, dict):
                params.update(body)
        return self._normalise(params), files

    @staticmethod
    def _normalise(params: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in params.items():
            if isinstance(value, str):
                if key in JSON_FIELDS and key != "reply_markup":
                    try:
                        value = json.loads(value)
                    except ValueError:
                        raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from None
                elif key in INT_FIELDS or key in ("chat_id", "user_id", "from_chat_id"):
                    try:
                        value = int(value)
                    except ValueError:
                        if key in INT_FIELDS:
                            raise ApiError(400, f'Bad Request: field "{key}" must be a number') from None
                elif key in BOOL_FIELDS:
                    value = value.lower() in ("true", "1")
            out[key] = value
        return out

    # ---- webhook delivery ------------------------------------------------------------------------

    async def _webhook_worker(self) -> None:
        while not self._stopping:
            async with self._updates_cond:
                await self._updates_cond.wait_for(
                    lambda: self._stopping or bool(self.webhook and self._pending)
                )
                if self._stopping:
                    return
                update = self._pending[0]
                hook = dict(self.webhook or {})
                self._webhook_busy = True
            await self._deliver(hook, update)
            async with self._updates_cond:
                if self._pending and self._pending[0] is update:
                    self._pending.pop(0)
                self._webhook_busy = False
                self._updates_cond.notify_all()

    async def _deliver(self, hook: dict[str, Any], update: dict[str, Any]) -> None:
        assert self._client is not None
        headers = {"Content-Type": "application/json"}
        if hook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
        error = ""
        for attempt in range(1, self.webhook_retries + 1):
            try:
                async with self._client.post(hook["url"], data=json.dumps(update), headers=headers,
                                             timeout=aiohttp.ClientTimeout(total=10)) as resp:
                    if 200 <= resp.status < 300:
                        self.webhook_log.append({"update_id": update.get("update_id"), "status": resp.status,
                                                 "attempts": attempt})
                        return
                    error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {exc.__class__.__name__}"
            await asyncio.sleep(0.05 * 2 ** (attempt - 1))
        hook_state = self.webhook
        if hook_state is not None:
            hook_state["last_error_date"] = int(self.clock())
            hook_state["last_error_message"] = error
        self.webhook_log.append({"update_id": update.get("update_id"), "status": None, "attempts":
                                 self.webhook_retries, "error": error})
