"""The one place that decides which Telegram failures are retried and which are final."""

from __future__ import annotations

import asyncio

import aiohttp
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from bot.channels.telegram.thin import api_error
from bot.delivery import DeliveryError, PermanentError, RetryableError


class UndecodableReply(ClientDecodeError):
    """aiogram could not decode Telegram's answer; ``status_code`` is the HTTP status it came with.

    Non-2xx (Telegram's edge serves nginx HTML pages such as "502 Bad Gateway" during outages): nothing was
    done, retry. 2xx: the request probably went through and only its answer got lost, so it must not be
    sent again blindly (see :func:`sent_uncertain`)."""

    def __init__(self, message: str, original: Exception, data: object, status_code: int) -> None:
        super().__init__(message, original, data)
        self.status_code = status_code


def sent_uncertain(exc: BaseException) -> bool:
    """A 2xx answer aiogram could not decode: the message may well have gone out."""
    return isinstance(exc, UndecodableReply) and 200 <= exc.status_code < 300


def classify(exc: BaseException) -> DeliveryError:
    # aiogram sorts answers by status into these classes; the decision itself is thin.api_error's, shared
    # with the thin client so both channels retry and give up alike.
    if isinstance(exc, TelegramRetryAfter):
        return api_error(429, exc.message, float(exc.retry_after))
    if isinstance(exc, TelegramForbiddenError):
        return api_error(403, exc.message)
    if isinstance(exc, TelegramUnauthorizedError):
        return api_error(401, exc.message)
    if isinstance(exc, TelegramBadRequest):
        return api_error(400, exc.message)
    if isinstance(exc, (TelegramServerError, TelegramNetworkError)):
        return RetryableError(f"telegram unavailable: {exc}")
    if isinstance(exc, ClientDecodeError):
        # An HTML error page instead of JSON (an outage at Telegram's edge): temporary. A 2xx one only
        # reaches here from reads (getMe, files), which are safe to repeat; deliver() handles sends itself.
        status = getattr(exc, "status_code", None)
        return RetryableError(f"telegram unavailable: undecodable reply (HTTP {status or '?'})")
    if isinstance(exc, TelegramAPIError):
        return PermanentError(f"telegram error: {exc}")
    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, OSError)):
        return RetryableError(f"network: {type(exc).__name__}")
    raise exc
