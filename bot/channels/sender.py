"""The sender: drains due outbox rows to their channels under each bot's rate limits.

- 429: the bot's limiter pauses for ``retry_after`` and the row is retried (attempts unchanged).
- unreachable (403 blocked, chat not found): the identity is marked unreachable, the row too.
- transient errors: retried with exponential backoff up to ``send_max_attempts``, then failed.
- crash: rows stay ``sending`` with a lease; after the lease they are claimed again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.channels.ratelimit import BotLimiter
from bot.clock import Clock
from bot.config import Settings
from bot.delivery import Channel, PermanentError, RetryableError
from bot.messages import ChatRef, Reply
from bot.services import outbox
from bot.services.identity import IdentityService
from storage.db import Database
from storage.models.outbox import OutboxMessage, OutboxStatus

log = logging.getLogger("hocbac.sender")

# Called just before a row is delivered (e.g. to remember numbered choices on channels without buttons):
# before, not after, so a quick answer to the message never races the bookkeeping.
BeforeSend = Callable[[OutboxMessage, Reply], Awaitable[None]]
# Asked before each row: a reason to skip it (e.g. a Zalo bot out of monthly quota), or None to send.
Gate = Callable[[OutboxMessage], Awaitable[str | None]]
# Called after a row reached a final state (sent, unreachable, failed, skipped), e.g. for broadcast progress.
OnFinish = Callable[[OutboxMessage, OutboxStatus, list[str]], Awaitable[None]]
RATE_LIMIT_RETRIES = 5


class Sender:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        channels: dict[str, Channel],
        identities: IdentityService,
        *,
        worker_id: str | None = None,
        before_send: BeforeSend | None = None,
        limiter_for: Callable[[str], BotLimiter] | None = None,
        gate: Gate | None = None,
        on_finish: OnFinish | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.channels = channels  # key: "telegram" or "zalo:<bot>"
        self.identities = identities
        self.worker_id = worker_id or f"{os.uname().nodename}:{os.getpid()}"
        self.before_send = before_send
        self.on_finish = on_finish
        self._limiters: dict[str, BotLimiter] = {}
        self._limiter_for = limiter_for
        self.gate = gate
        self._wake = asyncio.Event()
        self.stats: Counter[str] = Counter()

    def channel_for(self, row: OutboxMessage) -> Channel | None:
        return self.channels.get(f"{row.channel}:{row.bot}") or self.channels.get(row.channel)

    def limiter(self, key: str) -> BotLimiter:
        lim = self._limiters.get(key)
        if lim is None:
            lim = self._limiter_for(key) if self._limiter_for else BotLimiter(
                self.settings.send_global_per_sec, self.settings.send_chat_per_sec, self.settings.send_group_per_min)
            self._limiters[key] = lim
        return lim

    def wake(self) -> None:
        """Called after enqueueing, so the sender does not wait for its next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, idle_poll: float = 0.5) -> None:
        while not stop.is_set():
            try:
                sent = await self.drain_once()
            except Exception:
                log.exception("sender pass failed")
                sent = 0
            if sent == 0:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=idle_poll)
                except TimeoutError:
                    pass

    async def drain_once(self, limit: int | None = None) -> int:
        """Claim one batch of due rows and send them concurrently; returns how many were handled."""
        batch = limit or max(self.settings.send_in_flight * 4, 32)
        now = self.clock.now()
        async with self.db.session() as s:
            rows = await outbox.claim_due(s, now=now, worker=self.worker_id, limit=batch,
                                          channels=sorted({k.split(":")[0] for k in self.channels}),
                                          lease=timedelta(seconds=self.settings.outbox_claim_lease_seconds))
        if not rows:
            return 0
        sem = asyncio.Semaphore(self.settings.send_in_flight)

        async def one(row: OutboxMessage) -> None:
            async with sem:
                await self._send(row)

        await asyncio.gather(*(one(r) for r in rows))
        return len(rows)

    async def drain(self, max_passes: int = 1000) -> int:
        """Send until nothing is due (tests, demo, benchmarks)."""
        total = 0
        for _ in range(max_passes):
            n = await self.drain_once()
            if n == 0:
                break
            total += n
        return total

    async def _send(self, row: OutboxMessage) -> None:
        assert row.id is not None
        now = self.clock.now()
        if row.expires_at is not None and now > row.expires_at:
            await self._finish(row, OutboxStatus.SKIPPED, error="expired before it could be sent")
            log.info("outbox %s (%s) skipped: too late", row.id, row.kind)
            return
        if self.gate is not None:
            reason = await self.gate(row)
            if reason:
                self.stats["gated"] += 1
                await self._finish(row, OutboxStatus.SKIPPED, error=reason)
                log.info("outbox %s (%s) skipped: %s", row.id, row.kind, reason)
                return
        channel = self.channel_for(row)
        if channel is None:
            await self._reschedule(row, "no channel configured for " + row.channel, delay=60, count=False)
            return
        reply = Reply.from_dict(row.payload)
        chat = ChatRef(row.channel, row.chat_id, row.bot)
        limiter = self.limiter(f"{row.channel}:{row.bot}")
        is_group = row.chat_id.startswith("-") or row.kind.startswith("group")
        for _attempt in range(RATE_LIMIT_RETRIES):
            await limiter.wait_turn(chat.key(), is_group)
            if self.before_send is not None:
                try:
                    await self.before_send(row, reply)
                except Exception:
                    log.exception("before_send hook failed for outbox %s", row.id)
            try:
                sent = await channel.deliver(chat, reply)
            except RetryableError as exc:
                if exc.retry_after is not None:
                    self.stats["429"] += 1
                    limiter.pause(exc.retry_after)
                    continue  # wait the pause out inside the limiter, then try again
                self.stats["transient"] += 1
                await self._reschedule(row, exc.reason)
                return
            except PermanentError as exc:
                if exc.unreachable:
                    self.stats["unreachable"] += 1
                    if row.identity_id is not None:
                        await self.identities.mark_unreachable(row.identity_id, exc.reason)
                    await self._finish(row, OutboxStatus.UNREACHABLE, error=exc.reason)
                else:
                    self.stats["failed"] += 1
                    log.warning("outbox %s (%s) failed: %s", row.id, row.kind, exc.reason)
                    await self._finish(row, OutboxStatus.FAILED, error=exc.reason)
                return
            except Exception as exc:  # a bug in rendering must not kill the sender loop
                log.exception("outbox %s (%s) crashed the channel", row.id, row.kind)
                self.stats["failed"] += 1
                await self._finish(row, OutboxStatus.FAILED, error=f"internal error: {type(exc).__name__}")
                return
            self.stats["sent"] += 1
            await self._finish(row, OutboxStatus.SENT, message_ids=sent.message_ids)
            return
        await self._reschedule(row, "rate limited repeatedly", count=False)

    async def _finish(self, row: OutboxMessage, status: OutboxStatus, *, message_ids: list[str] | None = None,
                      error: str | None = None) -> None:
        async with self.db.session() as s:
            await outbox.finish(s, row.id, status=status, now=self.clock.now(), message_ids=message_ids,  # type: ignore[arg-type]
                                error=error, attempts=row.attempts + 1)
        if self.on_finish is not None:
            row.last_error = error
            try:
                await self.on_finish(row, status, message_ids or [])
            except Exception:
                log.exception("on_finish hook failed for outbox %s", row.id)

    async def _reschedule(self, row: OutboxMessage, error: str, delay: float | None = None,
                          count: bool = True) -> None:
        attempts = row.attempts + (1 if count else 0)
        if attempts >= self.settings.send_max_attempts:
            self.stats["failed"] += 1
            await self._finish(row, OutboxStatus.FAILED, error=f"gave up after {attempts} attempts: {error}")
            return
        backoff = delay if delay is not None else min(600.0, 2.0 ** attempts + random.random())
        async with self.db.session() as s:
            await outbox.reschedule(s, row.id, due_at=self.clock.now() + timedelta(seconds=backoff),  # type: ignore[arg-type]
                                    attempts=attempts, error=error)
