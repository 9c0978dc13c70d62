"""The contract between the core and every channel adapter: capabilities, and the two delivery errors
the sender decides on. Neutral: handlers and services may import it; it imports no platform library."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.messages import ChatRef, Inbound, MediaRef, Reply


@dataclass(frozen=True, slots=True)
class Capabilities:
    buttons: bool
    edit: bool
    max_text: int
    media_upload: bool
    media_by_url: bool
    reply_menu: bool = False
    html: bool = True
    groups_beta: bool = False  # the platform's group chats are a beta feature (Zalo): say so in group features


@dataclass(frozen=True, slots=True)
class SentMessage:
    message_ids: list[str]
    # The platform accepted the request but its answer could not be read (a garbled 2xx): most likely sent,
    # ids unknown. Counted as sent, never retried (a retry could duplicate it).
    uncertain: bool = False


class DeliveryError(Exception):
    """Base of the errors a channel raises from ``deliver``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryableError(DeliveryError):
    """Try again later: rate limited (``retry_after`` seconds) or a transient network/server fault."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Never retry. ``unreachable`` means the person blocked the bot or never started it. ``confirm``: one such
    answer is not proof (a platform whose error texts are vague), so the sender marks the person unreachable
    only after consistent failures (``Settings.unreachable_after_failures`` over ``unreachable_after_days``)."""

    def __init__(self, reason: str, unreachable: bool = False, *, confirm: bool = False) -> None:
        super().__init__(reason)
        self.unreachable = unreachable
        self.confirm = confirm


class TokenRevokedError(PermanentError):
    """The platform rejected the bot's token (Telegram's 401): every message of this bot will fail until the
    token is replaced. The sender stops that bot's lane; the person is not unreachable."""


class QuotaExhaustedError(DeliveryError):
    """The platform refuses every message of this bot until its plan's period resets (Zalo's 429 "Quota
    exceeded"). Not worth retrying this period; the channel has already told its ``on_quota`` hook."""


@dataclass(frozen=True, slots=True)
class Hold:
    """A send gate's answer: keep the row and try it again at ``until`` (e.g. the first day of next month)."""

    until: datetime
    reason: str


InboundHandler = Callable[[Inbound, "Channel"], Awaitable[None]]


class Channel(Protocol):
    name: str
    caps: Capabilities

    async def deliver(self, chat: ChatRef, reply: Reply) -> SentMessage:
        """Send (or edit) one reply. Raises RetryableError or PermanentError."""
        ...

    async def fetch_media(self, media: MediaRef) -> bytes:
        """Download a received file's bytes (for the media store)."""
        ...

    async def ack(self, inbound: Inbound, text: str = "") -> None:
        """Acknowledge a button press (stops the spinner on Telegram); a no-op elsewhere."""
        ...
