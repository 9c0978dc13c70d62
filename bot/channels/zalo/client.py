"""A small async client for the Zalo Bot API (bot-api.zaloplatforms.com), on aiohttp.

Every call is ``POST {base}/bot<TOKEN>/<method>`` with a JSON body. The token is part of the URL,
so nothing that leaves this module (log lines, exception texts) may contain it: see :func:`redact`.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from bot.channels.zalo.errors import ZaloPermanentError, check_response, from_exception
from bot.delivery import DeliveryError

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com"
# getUpdates holds the request open up to ``timeout`` seconds; give the HTTP request some slack.
_POLL_SLACK = 10.0
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024


def redact(text: str, token: str) -> str:
    """Replace every occurrence of the bot token (and its secret half) in ``text`` with ``***``."""
    if not token:
        return text
    text = text.replace(token, "***")
    # Tokens look like "<bot_id>:<secret>"; hide the secret even if it shows up on its own.
    _, _, secret = token.partition(":")
    if len(secret) >= 8:
        text = text.replace(secret, "***")
    return text


class ZaloClient:
    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 15.0,
    ) -> None:
        if not token:
            raise ValueError("Zalo bot token is empty")
        self._token = token
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._own_session = session is None
        self.timeout = timeout

    def __repr__(self) -> str:  # never show the token, even in a debugger or a log of locals
        return f"ZaloClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> ZaloClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None if self._own_session else self._session

    def redact(self, text: str) -> str:
        return redact(text, self._token)

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        return self._session

    async def _request(
        self, method: str, payload: dict[str, Any] | None, http_timeout: float | None
    ) -> tuple[int, Any, Any]:
        """POST one call; return (HTTP status, parsed JSON or None, headers)."""
        url = f"{self.base_url}/bot{self._token}/{method}"
        try:
            async with self._get_session().post(
                url,
                json=payload or {},
                timeout=aiohttp.ClientTimeout(total=http_timeout or self.timeout),
            ) as resp:
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = None
                return resp.status, body, resp.headers
        except (TimeoutError, aiohttp.ClientError) as exc:
            err = from_exception(method, exc)
            log.warning("zalo %s failed: %s", method, self.redact(str(err)))
            raise err from None  # the cause's text may hold the URL, hence the token

    async def call(
        self, method: str, payload: dict[str, Any] | None = None, http_timeout: float | None = None
    ) -> Any:
        status, body, headers = await self._request(method, payload, http_timeout)
        return self._checked(method, status, body, headers)

    def _checked(self, method: str, status: int, body: Any, headers: Any) -> Any:
        """check_response, with the token scrubbed from the error (servers may echo the URL)."""
        try:
            return check_response(method, status, body, headers)
        except DeliveryError as exc:
            exc.reason = self.redact(exc.reason)
            exc.args = (exc.reason,)
            # The raw code and description, every time (errors.py decides what they mean; this keeps the evidence).
            log.warning("zalo %s rejected (%s): %s", method, type(exc).__name__, exc.reason)
            raise

    # --- the API -------------------------------------------------------------------------------

    async def get_me(self) -> dict[str, Any]:
        return await self.call("getMe")

    async def check_token(self) -> dict[str, Any]:
        """getMe without the log line on a rejection: start-up and ``hocbac zalo check`` report it themselves,
        in one line. The bot's {id, account_name, account_type, can_join_groups}."""
        status, body, headers = await self._request("getMe", None, None)
        try:
            return check_response("getMe", status, body, headers)
        except DeliveryError as exc:
            exc.reason = self.redact(exc.reason)
            exc.args = (exc.reason,)
            raise

    # ``timeout`` is the API's own long-poll parameter, not an asyncio deadline.
    async def get_updates(self, timeout: int = 30) -> dict[str, Any] | None:  # noqa: ASYNC109
        """One update, or None when nothing arrived within ``timeout`` (Zalo answers 408 then)."""
        status, body, headers = await self._request(
            "getUpdates", {"timeout": str(timeout)}, timeout + _POLL_SLACK
        )
        code = body.get("error_code") if isinstance(body, dict) else None
        if status == 408 or code == 408:
            return None
        result = self._checked("getUpdates", status, body, headers)
        return result if isinstance(result, dict) and result else None

    async def set_webhook(self, url: str, secret_token: str) -> dict[str, Any]:
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> dict[str, Any]:
        return await self.call("deleteWebhook")

    async def get_webhook_info(self) -> dict[str, Any] | None:
        """The webhook's {url, updated_at}, or None when no webhook is set (Zalo answers 404)."""
        status, body, headers = await self._request("getWebhookInfo", None, None)
        code = body.get("error_code") if isinstance(body, dict) else None
        if status == 404 or code == 404:
            return None
        result = self._checked("getWebhookInfo", status, body, headers)
        return result if isinstance(result, dict) and result.get("url") else None

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text})

    async def send_photo(self, chat_id: str, photo_url: str, caption: str = "") -> dict[str, Any]:
        payload: dict[str, Any] = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            payload["caption"] = caption
        return await self.call("sendPhoto", payload)

    async def send_sticker(self, chat_id: str, sticker: str) -> dict[str, Any]:
        return await self.call("sendSticker", {"chat_id": chat_id, "sticker": sticker})

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> Any:
        return await self.call("sendChatAction", {"chat_id": chat_id, "action": action})

    async def download(self, url: str, max_bytes: int = MAX_DOWNLOAD_BYTES) -> bytes:
        """Fetch a public file URL (received photos). Never sends the token."""
        try:
            async with self._get_session().get(url, timeout=aiohttp.ClientTimeout(total=60)) as resp:
                if resp.status >= 500 or resp.status == 429:
                    raise from_exception("download", aiohttp.ClientError(f"HTTP {resp.status}"))
                if resp.status >= 400:
                    raise ZaloPermanentError(f"zalo download: HTTP {resp.status}", error_code=resp.status)
                data = bytearray()
                async for chunk in resp.content.iter_chunked(65536):
                    data += chunk
                    if len(data) > max_bytes:
                        raise ZaloPermanentError(f"zalo download: file over {max_bytes} bytes")
                return bytes(data)
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise from_exception("download", exc) from None
