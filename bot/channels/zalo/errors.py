"""The one place that decides what a Zalo Bot API failure means for the sender.

Zalo answers like Telegram: ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N,
"description": "..."}``, and an HTTP 200 can still carry ``ok: false``. Every reply goes through
:func:`check_response`; every network failure through :func:`from_exception`. Nothing here may
ever contain the bot token (it sits in the request URL), so callers pass only the method name.

Zalo's own error table ("Bảng mã lỗi", see API_NOTES.md "Quota and error codes"): 400 Bad request,
401 Unauthorized, 403 **Internal server error**, 404 Not found, 408 Request timeout, 429 **Quota exceeded**.
So 403 and 5xx are retried with backoff; a 429 whose description names the quota means the bot's month is
used up (:class:`ZaloQuotaExhausted`); a person is "unreachable" only when the description names blocking or
an unknown chat, and even then only tentatively (``confirm=True``: the sender waits for consistent failures).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp

from bot.delivery import PermanentError, QuotaExhaustedError, RetryableError, TokenRevokedError

# Descriptions that mean "this person cannot be reached" rather than "our request was wrong".
_UNREACHABLE = re.compile(
    r"chat not found|user not found|not found chat|block|unfollow|not a member|"
    r"kicked|deactivated|not allowed to send|không tìm thấy|chặn",
    re.IGNORECASE,
)
_QUOTA = re.compile(r"quota|hạn mức", re.IGNORECASE)
_TOKEN_TROUBLE = re.compile(r"token|unauthori[sz]ed|invalid bot", re.IGNORECASE)
_RETRY_IN_TEXT = re.compile(r"retry after (\d+(?:\.\d+)?)", re.IGNORECASE)


class ZaloRetryableError(RetryableError):
    """A transient Zalo failure; ``error_code`` is the API's code (or HTTP status) when known."""

    def __init__(self, reason: str, retry_after: float | None = None, error_code: int | None = None):
        super().__init__(reason, retry_after)
        self.error_code = error_code


class ZaloPermanentError(PermanentError):
    def __init__(self, reason: str, unreachable: bool = False, error_code: int | None = None):
        # Zalo's texts are not proof on their own: "unreachable" waits for consistent failures (the sender).
        super().__init__(reason, unreachable, confirm=unreachable)
        self.error_code = error_code


class ZaloTokenRevoked(ZaloPermanentError, TokenRevokedError):
    """401 (or a 403 naming the token): the bot's token was reset or revoked; the sender stops this bot."""

    def __init__(self, reason: str, error_code: int | None = 401):
        super().__init__(reason, unreachable=False, error_code=error_code)


class ZaloQuotaExhausted(QuotaExhaustedError):
    """429 "Quota exceeded": the bot's monthly messages are used up."""

    def __init__(self, reason: str, error_code: int | None = 429):
        super().__init__(reason)
        self.error_code = error_code


def _retry_after(payload: dict[str, Any], headers: Any = None) -> float | None:
    params = payload.get("parameters")
    for source in (params if isinstance(params, dict) else {}, payload):
        value = source.get("retry_after")
        if isinstance(value, int | float) and value >= 0:
            return float(value)
    if headers is not None:
        raw = headers.get("Retry-After")
        if raw:
            try:
                return float(raw)
            except ValueError:
                pass
    match = _RETRY_IN_TEXT.search(str(payload.get("description", "")))
    return float(match.group(1)) if match else None


DEFAULT_429_PAUSE = 5.0


def classify(method: str, status: int, payload: dict[str, Any] | None, headers: Any = None) -> Exception:
    """Turn a failed reply into ZaloRetryableError or ZaloPermanentError (returned, not raised)."""
    payload = payload or {}
    code = payload.get("error_code")
    if not isinstance(code, int):
        code = status if status >= 400 else None
    desc = str(payload.get("description") or payload.get("message") or f"HTTP {status}")[:300]
    reason = f"zalo {method}: {code or status} {desc}"
    if code == 429 or status == 429:
        if _QUOTA.search(desc):
            return ZaloQuotaExhausted(reason, 429)
        # Zalo documents no retry_after: without one, still pause the bot a little (the sender's
        # limiter waits it out) rather than hammering it with immediate retries.
        return ZaloRetryableError(reason, _retry_after(payload, headers) or DEFAULT_429_PAUSE, 429)
    if status >= 500 or (code is not None and code >= 500):
        return ZaloRetryableError(reason, _retry_after(payload, headers), code)
    if code == 408 or status == 408:
        return ZaloRetryableError(reason, None, 408)
    if code == 401 or (code == 403 and _TOKEN_TROUBLE.search(desc)):
        # Our token is wrong: permanent, but not the member's fault; the sender stops this bot's lane.
        return ZaloTokenRevoked(reason, error_code=code)
    if _UNREACHABLE.search(desc):
        return ZaloPermanentError(reason, unreachable=True, error_code=code)
    if code == 403 or status == 403:
        # "Internal server error" in Zalo's table: a fault on their side, never a verdict on the member.
        return ZaloRetryableError(reason, None, 403)
    return ZaloPermanentError(reason, unreachable=False, error_code=code)


def check_response(method: str, status: int, payload: Any, headers: Any = None) -> Any:
    """Return ``result`` of a successful reply; raise the classified error otherwise."""
    if not isinstance(payload, dict):
        if status >= 500 or status == 429:
            raise classify(method, status, None, headers)
        raise ZaloPermanentError(f"zalo {method}: HTTP {status} with a non-JSON body", error_code=status)
    if status < 400 and payload.get("ok") is True:
        return payload.get("result")
    raise classify(method, status, payload, headers)


def from_exception(method: str, exc: BaseException) -> ZaloRetryableError:
    """Network trouble and timeouts are worth retrying. The message names only the error type,
    because aiohttp puts the full URL (with the token) into many exception texts."""
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return ZaloRetryableError(f"zalo {method}: timed out")
    if isinstance(exc, aiohttp.ClientError):
        return ZaloRetryableError(f"zalo {method}: connection error ({type(exc).__name__})")
    return ZaloRetryableError(f"zalo {method}: {type(exc).__name__}")
