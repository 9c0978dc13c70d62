"""ZaloChannel: one Zalo bot account behind the neutral Channel contract, plus its long-poller."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from bot.channels.zalo.adapter import zalo_update_to_inbound
from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.render import MAX_TEXT, SPLIT_AT, render_reply, utf16_len
from bot.delivery import Capabilities, InboundHandler, QuotaExhaustedError, RetryableError, SentMessage
from bot.messages import ChatRef, Inbound, MediaRef, Reply

log = logging.getLogger(__name__)

PHOTO_ONLY_IN_APP = "(Ảnh: xem trên ứng dụng)"
FILE_ONLY_IN_APP = "(Tệp: xem trên ứng dụng)"

PublicUrl = Callable[[str], "str | None"]
# Told how many messages went out after each deliver (the monthly quota counts every message).
OnSent = Callable[[str, int], Awaitable[None]]
# Told when Zalo answers 429 "Quota exceeded" (bot key, the raw reason): the zalo_quota feature marks the month full.
OnQuota = Callable[[str, str], Awaitable[None]]


class DuplicateFilter:
    """Remembers the last ``maxlen`` message ids per bot; Zalo may deliver an update twice
    (webhook retries, a poll racing a restart)."""

    def __init__(self, maxlen: int = 10000) -> None:
        self.maxlen = maxlen
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()

    def is_duplicate(self, bot_key: str, message_id: str) -> bool:
        """True if this id was seen before; otherwise remember it and return False."""
        if not message_id:
            return False  # nothing to compare; let it through
        key = (bot_key, message_id)
        if key in self._seen:
            self._seen.move_to_end(key)
            return True
        self._seen[key] = None
        if len(self._seen) > self.maxlen:
            self._seen.popitem(last=False)
        return False

    def __len__(self) -> int:
        return len(self._seen)


class ZaloChannel:
    name = "zalo"
    caps = Capabilities(
        buttons=False,
        edit=False,
        max_text=MAX_TEXT,
        media_upload=False,
        media_by_url=True,
        reply_menu=False,
        html=False,
        groups_beta=True,  # Zalo's group chats are in beta, at most 3 per bot (API_NOTES #40)
    )

    def __init__(
        self,
        bot_key: str,
        client: ZaloClient,
        public_url: PublicUrl | None = None,
        dedup: DuplicateFilter | None = None,
        on_sent: OnSent | None = None,
        on_quota: OnQuota | None = None,
    ) -> None:
        self.bot_key = bot_key
        self.client = client
        # Builds a public URL for a media-store key; injected by the app when the store can serve one.
        self.public_url = public_url
        self.dedup = dedup or DuplicateFilter()
        self.on_sent = on_sent
        self.on_quota = on_quota
        self.bot_id = ""  # from getMe at start: the bot's own (echoed) messages are ignored
        self.bot_names: tuple[str, ...] = ()  # from getMe: a leading "@<name>" in a group is stripped
        self._polling = False

    # --- Channel protocol ------------------------------------------------------------------------

    async def deliver(self, chat: ChatRef, reply: Reply) -> SentMessage:
        """Send one reply as one or more Zalo messages. An edit is sent as a new message (Zalo
        cannot edit). Raises RetryableError / PermanentError from the client."""
        parts = render_reply(reply, SPLIT_AT)
        ids: list[str] = []
        try:
            if reply.media is not None:
                parts = await self._send_media(chat.chat_id, reply.media, parts, ids)
            for part in parts:
                result = await self.client.send_message(chat.chat_id, part)
                ids.append(_message_id(result))
        except QuotaExhaustedError as exc:
            await self._quota(exc.reason)
            raise
        finally:
            await self._count(len(ids))  # what went out counts, even if a later part failed
        return SentMessage(message_ids=[i for i in ids if i])

    async def _count(self, sent: int) -> None:
        if sent and self.on_sent is not None:
            try:
                await self.on_sent(self.bot_key, sent)
            except Exception:  # counting must never turn a delivered message into a failure
                log.exception("zalo %s: counting %s sent messages failed", self.bot_key, sent)

    async def _quota(self, reason: str) -> None:
        if self.on_quota is None:
            return
        try:
            await self.on_quota(self.bot_key, reason)
        except Exception:  # the error itself still reaches the caller
            log.exception("zalo %s: recording the exhausted quota failed", self.bot_key)

    async def close(self) -> None:
        await self.client.close()

    async def _send_media(self, chat_id: str, media: MediaRef, parts: list[str], ids: list[str]) -> list[str]:
        """Send the photo (taking the first text part as caption); return the parts still to send."""
        url = media.url
        if not url and media.media_key and self.public_url is not None:
            url = self.public_url(media.media_key) or ""
        if media.kind == "photo" and url:
            caption = parts[0] if parts and utf16_len(parts[0]) <= SPLIT_AT else ""
            result = await self.client.send_photo(chat_id, url, caption)
            ids.append(_message_id(result))
            return parts[1:] if caption else parts
        # No way to show it inline: say so in the first message.
        note = (f"(Tệp: {url})" if url else FILE_ONLY_IN_APP) if media.kind != "photo" else PHOTO_ONLY_IN_APP
        if parts and utf16_len(note) + 1 + utf16_len(parts[0]) <= SPLIT_AT:
            return [f"{note}\n{parts[0]}", *parts[1:]]
        return [note, *parts]

    async def fetch_media(self, media: MediaRef) -> bytes:
        if not media.url:
            raise ValueError("Zalo media can only be fetched by URL")
        return await self.client.download(media.url)

    async def ack(self, inbound: Inbound, text: str = "") -> None:
        return None  # Zalo has no button presses to acknowledge

    async def typing(self, chat: ChatRef) -> None:
        """Best effort "typing…" indicator; failures are not worth a retry."""
        try:
            await self.client.send_chat_action(chat.chat_id, "typing")
        except Exception as exc:  # cosmetic call, never fatal
            log.debug("zalo %s: typing failed: %s", self.bot_key, exc)

    # --- receiving ---------------------------------------------------------------------------------

    def to_inbound(self, update: dict) -> Inbound | None:
        """Adapter + duplicate filter: the one entry for both polling and the webhook."""
        inbound = zalo_update_to_inbound(update, self.bot_key, bot_names=self.bot_names)
        if inbound is None:
            return None
        if inbound.user is not None and (
            (self.bot_id and inbound.user.user_id == self.bot_id) or inbound.extras.get("is_bot")
        ):
            log.debug("zalo %s: the bot's own message %s ignored", self.bot_key, inbound.message_id)
            return None
        if self.dedup.is_duplicate(self.bot_key, inbound.message_id):
            log.debug("zalo %s: duplicate message %s dropped", self.bot_key, inbound.message_id)
            return None
        return inbound

    async def poll_forever(
        self,
        handler: InboundHandler,
        stop_event: asyncio.Event,
        *,
        poll_timeout: int = 30,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
    ) -> None:
        """Long-poll getUpdates until ``stop_event`` is set, feeding each Inbound to
        ``handler(inbound, self)`` in arrival order. One poller per bot token."""
        if self._polling:
            raise RuntimeError(f"zalo {self.bot_key}: already polling")
        self._polling = True
        failures = 0
        stop_wait = asyncio.ensure_future(stop_event.wait())
        try:
            while not stop_event.is_set():
                poll = asyncio.ensure_future(self.client.get_updates(timeout=poll_timeout))
                await asyncio.wait({poll, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
                if not poll.done():
                    poll.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await poll
                    break
                try:
                    update = poll.result()
                except Exception as exc:  # the poller must outlive any failure
                    failures += 1
                    delay = _backoff(failures, backoff_base, backoff_max, exc)
                    log.warning("zalo %s: poll failed (%s); retry in %.1fs", self.bot_key, exc, delay)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(asyncio.shield(stop_wait), delay)
                    continue
                failures = 0
                if update is None:
                    continue  # idle poll (408)
                inbound = self.to_inbound(update)
                if inbound is None:
                    continue
                try:
                    await handler(inbound, self)
                except Exception:
                    log.exception("zalo %s: handler failed on message %s", self.bot_key, inbound.message_id)
        finally:
            stop_wait.cancel()
            self._polling = False


def _message_id(result: object) -> str:
    if isinstance(result, dict):
        value = result.get("message_id")
        return str(value) if value is not None else ""
    return ""


def _backoff(failures: int, base: float, cap: float, exc: BaseException) -> float:
    """Exponential backoff with full jitter; a server-given retry_after wins."""
    if isinstance(exc, RetryableError) and exc.retry_after:
        return min(float(exc.retry_after), cap)
    return random.uniform(base / 2, min(cap, base * 2 ** (failures - 1)))
