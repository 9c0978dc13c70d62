"""The sender: drains due outbox rows to their channels under each bot's rate limits.

- 429: the bot's limiter pauses for ``retry_after`` and the row is retried (attempts unchanged).
- unreachable (403 blocked, chat not found): the identity is marked unreachable, the row too. When the channel
  says the verdict needs confirming (``PermanentError.confirm``, Zalo), only the row is: the identity is marked
  after ``unreachable_after_failures`` such failures spread over at least ``unreachable_after_days`` days with
  nothing delivered in between (:meth:`Sender._confirmed_unreachable`).
- quota exhausted (Zalo's 429 "Quota exceeded"): the row is given back; the gate then holds it until the quota
  resets, or skips it when it will not matter then (a daily item, a menu).
- temporary errors (5xx, an HTML error page, network, timeouts): retried with capped exponential backoff
  (1 s doubling to ``send_retry_max_delay``, with jitter, on the injected clock) for ``send_retry_hours``
  after the row was due, or until the row's own ``expires_at`` (a daily item's catch-up window, a meeting
  notice's meeting); only then failed. An outage never turns queued messages into "sent" or lost ones.
- a chat waiting on its per-chat limit is skipped (its rows are given back and left out of the next
  claims until it may send), so one busy chat never holds up the others.
- crash: rows stay ``sending`` with a lease; after the lease they are claimed again (a single process
  takes its own back at once on start, see :func:`outbox.release_all_claims`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.channels.ratelimit import BotLimiter
from bot.clock import Clock
from bot.config import Settings
from bot.delivery import Channel, Hold, PermanentError, QuotaExhaustedError, RetryableError
from bot.messages import ChatRef, Reply
from bot.services import outbox
from bot.services.identity import IdentityService
from storage.db import Database
from storage.models.outbox import OutboxMessage, OutboxStatus

log = logging.getLogger("hocbac.sender")

# Called just before a row is delivered (e.g. to remember numbered choices on channels without buttons):
# before, not after, so a quick answer to the message never races the bookkeeping.
BeforeSend = Callable[[OutboxMessage, Reply], Awaitable[None]]
# Asked before each row: a reason to skip it (e.g. a daily item on a Zalo bot out of monthly quota), a Hold
# (keep it for later: a notice while the quota is exhausted), or None to send.
Gate = Callable[[OutboxMessage], Awaitable["str | Hold | None"]]
# Called after a row reached a final state (sent, unreachable, failed, skipped), e.g. for broadcast progress;
# also with PENDING when a temporary error put the row back to wait for a retry.
OnFinish = Callable[[OutboxMessage, OutboxStatus, list[str]], Awaitable[None]]
RATE_LIMIT_RETRIES = 5
QUOTA_RECHECK_SECONDS = 60.0  # a quota refusal the gate did not act on (no quota keeper): try again this late
MAX_SKIPPED_CHATS = 400  # chat ids left out of one claim at most (bound parameters)


def retry_delay(attempts: int, cap: float) -> float:
    """Seconds before retry number ``attempts`` (1, 2, ...): 1 s doubling up to ``cap``, with "equal
    jitter" (half fixed, half random) so a thousand rows failed together do not all come back together."""
    base = min(cap, 2.0 ** max(0, attempts - 1))
    return base / 2 + random.uniform(0, base / 2)


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
        # chat id -> when (monotonic) its per-chat limit lets it send again; left out of claims until then.
        self._busy_chats: dict[str, float] = {}

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
                busy = self.busy_wait()
                try:
                    await asyncio.wait_for(self._wake.wait(),
                                           timeout=idle_poll if busy is None else min(idle_poll, busy))
                except TimeoutError:
                    pass

    async def reclaim_own(self) -> int:
        """Single process only: take back at once the rows a crashed predecessor left ``sending``."""
        async with self.db.session() as s:
            n = await outbox.release_all_claims(s)
        if n:
            log.info("took back %s outbox rows left sending by the previous run", n)
        return n

    def busy_wait(self) -> float | None:
        """Seconds until the first skipped chat may send again (None: no chat is being skipped)."""
        mono = time.monotonic()
        self._busy_chats = {c: t for c, t in self._busy_chats.items() if t > mono}
        return min(self._busy_chats.values()) - mono if self._busy_chats else None

    def _split_busy(self, rows: list[OutboxMessage]) -> tuple[list[OutboxMessage], list[OutboxMessage]]:
        """(rows to send now, rows to give back): at most one row per chat per pass, and none for a chat
        that must still wait for its per-chat limit. Waiting for it here would hold a send slot (and the
        whole batch) for up to a second per message, or three in a group: head-of-line blocking."""
        ready: list[OutboxMessage] = []
        later: list[OutboxMessage] = []
        seen: set[tuple[str, str]] = set()
        mono = time.monotonic()
        for row in rows:
            lim_key = f"{row.channel}:{row.bot}"
            chat_key = ChatRef(row.channel, row.chat_id, row.bot).key()
            is_group = _is_group(row)
            limiter = self.limiter(lim_key)
            chat_wait = getattr(limiter, "chat_wait", None)
            if (lim_key, chat_key) in seen:
                # Its chat sends once in this pass; the next row may go one interval later at the earliest.
                interval = getattr(limiter, "chat_interval", None)
                wait = interval(is_group) if interval is not None else 1.0
            else:
                wait = chat_wait(chat_key, is_group) if chat_wait is not None else 0.0
            if wait > 0:
                later.append(row)
                self._busy_chats[row.chat_id] = max(self._busy_chats.get(row.chat_id, 0.0), mono + wait)
            else:
                seen.add((lim_key, chat_key))
                ready.append(row)
        return ready, later

    async def drain_once(self, limit: int | None = None) -> int:
        """Claim one batch of due rows and send them concurrently; returns how many were handled
        (0 also when every due row belongs to a chat that must wait: see :meth:`busy_wait`)."""
        batch = limit or max(self.settings.send_in_flight * 4, 32)
        now = self.clock.now()
        self.busy_wait()  # forget chats that may send again
        skip = sorted(self._busy_chats, key=self._busy_chats.__getitem__, reverse=True)[:MAX_SKIPPED_CHATS]
        async with self.db.session() as s:
            rows = await outbox.claim_due(s, now=now, worker=self.worker_id, limit=batch,
                                          channels=sorted({k.split(":")[0] for k in self.channels}),
                                          lease=timedelta(seconds=self.settings.outbox_claim_lease_seconds),
                                          skip_chats=skip)
        if not rows:
            return 0
        rows, later = self._split_busy(rows)
        if later:
            self.stats["deferred"] += len(later)
            async with self.db.session() as s:
                await outbox.release(s, [r.id for r in later if r.id is not None], worker=self.worker_id)
        if not rows:
            return 0
        sem = asyncio.Semaphore(self.settings.send_in_flight)

        async def one(row: OutboxMessage) -> None:
            async with sem:
                await self._send(row)

        await asyncio.gather(*(one(r) for r in rows))
        return len(rows)

    async def drain(self, max_passes: int = 1000) -> int:
        """Send until nothing is due (tests, demo, benchmarks), waiting for busy chats' turns."""
        total = 0
        for _ in range(max_passes):
            n = await self.drain_once()
            if n == 0:
                busy = self.busy_wait()
                if busy is None:
                    break
                await asyncio.sleep(busy)
                continue
            total += n
        return total

    async def _send(self, row: OutboxMessage) -> None:
        assert row.id is not None
        now = self.clock.now()
        if row.expires_at is not None and now > row.expires_at:
            await self._finish(row, OutboxStatus.SKIPPED, error="expired before it could be sent")
            log.info("outbox %s (%s) skipped: too late", row.id, row.kind)
            return
        if await self._gated(row, now):
            return
        channel = self.channel_for(row)
        if channel is None:
            await self._reschedule(row, "no channel configured for " + row.channel, delay=60, count=False)
            return
        reply = Reply.from_dict(row.payload)
        chat = ChatRef(row.channel, row.chat_id, row.bot)
        limiter = self.limiter(f"{row.channel}:{row.bot}")
        is_group = _is_group(row)
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
            except QuotaExhaustedError as exc:
                # The channel told the quota keeper; the gate decides on the next pass (hold or skip).
                self.stats["quota_exhausted"] += 1
                log.warning("outbox %s (%s) to person %s: %s", row.id, row.kind, row.person_id, exc.reason)
                if not await self._gated(row, self.clock.now()):
                    await self._reschedule(row, exc.reason, delay=QUOTA_RECHECK_SECONDS, count=False)
                return
            except PermanentError as exc:
                if exc.unreachable:
                    self.stats["unreachable"] += 1
                    await self._finish(row, OutboxStatus.UNREACHABLE, error=exc.reason)
                    if row.identity_id is not None and (not exc.confirm or await self._confirmed_unreachable(row)):
                        await self.identities.mark_unreachable(row.identity_id, exc.reason)
                    elif row.identity_id is not None:
                        log.warning("outbox %s (%s): identity %s not reachable this time (%s); not marked yet",
                                    row.id, row.kind, row.identity_id, exc.reason)
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
            if sent.uncertain:  # a garbled 2xx: most likely sent; a retry could send it twice
                self.stats["sent_uncertain"] += 1
                log.warning("outbox %s (%s) counted sent: the platform's answer was unreadable", row.id, row.kind)
            await self._finish(row, OutboxStatus.SENT, message_ids=sent.message_ids,
                               error="sent-uncertain: unreadable answer" if sent.uncertain else None)
            return
        await self._reschedule(row, "rate limited repeatedly", count=False)

    async def _gated(self, row: OutboxMessage, now: datetime) -> bool:
        """Ask the gate; True when it skipped or held the row (then it is dealt with)."""
        if self.gate is None:
            return False
        reason = await self.gate(row)
        if isinstance(reason, Hold):
            self.stats["held"] += 1
            if row.expires_at is not None and reason.until > _aware(row.expires_at):
                await self._finish(row, OutboxStatus.SKIPPED, error=f"{reason.reason}; expires before then")
                return True
            delay = max(1.0, (reason.until - now).total_seconds())
            await self._reschedule(row, reason.reason, delay=delay, count=False)
            log.info("outbox %s (%s) held until %s: %s", row.id, row.kind, reason.until.isoformat(), reason.reason)
            return True
        if reason:
            self.stats["gated"] += 1
            await self._finish(row, OutboxStatus.SKIPPED, error=reason)
            log.info("outbox %s (%s) skipped: %s", row.id, row.kind, reason)
            return True
        return False

    async def _confirmed_unreachable(self, row: OutboxMessage) -> bool:
        """Consistent permanent failures: at least ``unreachable_after_failures`` rows to this identity failed as
        unreachable since its last delivered message (within 30 days), the first and last at least
        ``unreachable_after_days`` days apart. One answer, or a burst within a day, is never enough."""
        now = self.clock.now()
        since = now - timedelta(days=30)
        o = OutboxMessage
        async with self.db.session() as s:
            last_sent = (await s.execute(select(func.max(o.sent_at)).where(
                o.identity_id == row.identity_id, o.status == OutboxStatus.SENT.value))).scalar_one_or_none()
            if last_sent is not None:
                since = max(since, _aware(last_sent))
            n, first, last = (await s.execute(select(func.count(), func.min(o.claimed_at), func.max(o.claimed_at))
                                              .where(o.identity_id == row.identity_id,
                                                     o.status == OutboxStatus.UNREACHABLE.value,
                                                     o.claimed_at >= since))).one()
        if n < self.settings.unreachable_after_failures or first is None or last is None:
            return False
        return _aware(last) - _aware(first) >= timedelta(days=self.settings.unreachable_after_days)

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

    def retry_horizon(self, row: OutboxMessage) -> tuple[datetime, datetime]:
        """(first due, until when a temporary error is retried): ``send_retry_hours`` after the row was first
        due (its ``created_at``), or the row's own expiry when sooner (a daily item's catch-up window)."""
        first_due = _aware(row.created_at or row.due_at)
        horizon = first_due + timedelta(hours=self.settings.send_retry_hours)
        if row.expires_at is not None:
            horizon = min(horizon, _aware(row.expires_at))
        return first_due, horizon

    async def _reschedule(self, row: OutboxMessage, error: str, delay: float | None = None,
                          count: bool = True) -> None:
        attempts = row.attempts + (1 if count else 0)
        now = self.clock.now()
        backoff = delay if delay is not None else retry_delay(attempts, self.settings.send_retry_max_delay)
        due = now + timedelta(seconds=backoff)
        first_due, horizon = self.retry_horizon(row)
        if count and now >= horizon:
            self.stats["failed"] += 1
            hours = (now - first_due).total_seconds() / 3600
            await self._finish(row, OutboxStatus.FAILED,
                               error=f"gave up after {attempts} attempts in {hours:.1f} h: {error}")
            return
        if count:
            due = min(due, max(now, horizon))  # one last try at the horizon itself
        async with self.db.session() as s:
            await outbox.reschedule(s, row.id, due_at=due, attempts=attempts, error=error)  # type: ignore[arg-type]
        if count and self.on_finish is not None:  # e.g. a broadcast's progress shows "waiting to retry"
            row.last_error, row.attempts = error, attempts
            try:
                await self.on_finish(row, OutboxStatus.PENDING, [])
            except Exception:
                log.exception("on_finish hook failed for outbox %s", row.id)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite gives naive UTC


def _is_group(row: OutboxMessage) -> bool:
    return row.chat_id.startswith("-") or row.kind.startswith("group")
