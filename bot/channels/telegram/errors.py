"""The one place that decides which Telegram failures are retried and which are final."""

from __future__ import annotations

import asyncio

import aiohttp
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from bot.delivery import DeliveryError, PermanentError, RetryableError

_UNREACHABLE_400 = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated",
                    "bot can't initiate conversation")


def classify(exc: BaseException) -> DeliveryError:
    if isinstance(exc, TelegramRetryAfter):
        return RetryableError(f"rate limited: {exc.message}", retry_after=float(exc.retry_after))
    if isinstance(exc, TelegramForbiddenError):
        return PermanentError(f"forbidden: {exc.message}", unreachable=True)
    if isinstance(exc, TelegramUnauthorizedError):
        return PermanentError("bot token rejected (401)")
    if isinstance(exc, TelegramBadRequest):
        text = exc.message.lower()
        return PermanentError(f"bad request: {exc.message}", unreachable=any(s in text for s in _UNREACHABLE_400))
    if isinstance(exc, (TelegramServerError, TelegramNetworkError)):
        return RetryableError(f"telegram unavailable: {exc}")
    if isinstance(exc, TelegramAPIError):
        return PermanentError(f"telegram error: {exc}")
    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, OSError)):
        return RetryableError(f"network: {type(exc).__name__}")
    raise exc
