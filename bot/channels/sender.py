"""The sender: drains due outbox rows to their channels under each bot's rate limits.

- lanes: one per bot, i.e. per (channel, bot) of the rows. Each lane claims only its own rows, has its own
  limiter and in-flight cap, and runs as its own task, so one bot's 429 storm, outage or revoked token never
  delays another bot's messages. On PostgreSQL the claims use ``SKIP LOCKED``: several ``hocbac worker``
  processes may send at once (their per-bot limits shared through Redis, bot.scale.ratelimit).
- 401 (:class:`TokenRevokedError`, the bot's token was revoked): the lane stops, its rows stay pending
  (neither lost nor failed), ``on_revoked`` tells the system admins once through a bot that still works,
  and the others keep sending. A restart with a working token resumes the lane.

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
import contextlib
import logging
import os
import random
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.channels.ratelimit import BotLimiter
from bot.clock import Clock
from bot.config import Settings
from bot.delivery import Channel, Hold, PermanentError, QuotaExhaustedError, RetryableError, TokenRevokedError
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
# Called once when a bot's token is refused (401): (channel, bot, reason, usable(channel, bot) -> bool), e.g. to
# tell the system admins through a bot that still works.
OnRevoked = Callable[[str, str, str, Callable[[str, str], bool]], Awaitable[None]]
RATE_LIMIT_RETRIES = 5
QUOTA_RECHECK_SECONDS = 60.0  # a quota refusal the gate did not act on (no quota keeper): try again this late
MAX_SKIPPED_CHATS = 400  # chat ids left out of one claim at most (bound parameters)
RATE_WINDOW_SECONDS = 60.0  # a bot's send rate (/metrics, /healthz) is measured over this window
RATE_WINDOW_MAX = 8192  # send times kept per bot (more than a minute at Telegram's 30/s)
LANE_STOP_SECONDS = 5.0  # on stop, how long each lane may take to finish the rows it is sending


def retry_delay(attempts: int, cap: float) -> float:
    """Seconds before retry number ``attempts`` (1, 2, ...): 1 s doubling up to ``cap``, with "equal
    jitter" (half fixed, half random) so a thousand rows failed together do not all come back together."""
    base = min(cap, 2.0 ** max(0, attempts - 1))
    return base / 2 + random.uniform(0, base / 2)


def lane_key(channel: str, bot: str) -> str:
    """The name of a lane as the rest of the system names a bot: ``App.channels``' key ("telegram" for the
    default Telegram bot, "telegram:<key>" or "zalo:<key>" for the others)."""
    return f"{channel}:{bot}" if bot else channel


@dataclass(eq=False)
class Lane:
    """One bot's share of the sender: its own claims, limiter, in-flight cap and skipped chats, so a 429
    storm, an outage or a revoked token of this bot never holds up another bot's rows."""

    channel: str
    bot: str
    in_flight: asyncio.Semaphore
    stats: Counter[str] = field(default_factory=Counter)
    # chat id -> when (monotonic) its per-chat limit lets it send again; left out of claims until then.
    busy: dict[str, float] = field(default_factory=dict)
    revoked: str | None = None  # why this bot stopped (its token was refused); None while it sends
    sends: deque[float] = field(default_factory=lambda: deque(maxlen=RATE_WINDOW_MAX))  # monotonic times
    task: asyncio.Task[None] | None = None

    @property
    def key(self) -> str:
        return lane_key(self.channel, self.bot)

    def busy_wait(self) -> float | None:
        """Seconds until the first skipped chat may send again (None: no chat is being skipped)."""
        mono = time.monotonic()
        self.busy = {c: t for c, t in self.busy.items() if t > mono}
        return min(self.busy.values()) - mono if self.busy else None

    def rate(self, window: float = RATE_WINDOW_SECONDS) -> float:
        """Messages per second this process sent for the bot over the last ``window`` seconds."""
        since = time.monotonic() - window
        return sum(1 for t in self.sends if t >= since) / window


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
        on_revoked: OnRevoked | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.channels = channels  # key: "telegram", "telegram:<bot>" or "zalo:<bot>"
        self.identities = identities
        self.worker_id = worker_id or f"{os.uname().nodename}:{os.getpid()}"
        self.before_send = before_send
        self.on_finish = on_finish
        self.on_revoked = on_revoked
        self._limiters: dict[str, BotLimiter] = {}
        self._limiter_for = limiter_for
        self.gate = gate
        self._wake = asyncio.Event()
        self.stats: Counter[str] = Counter()  # every lane together (each lane keeps its own too)
        self.lanes: dict[tuple[str, str], Lane] = {}

    def channel_for(self, row: OutboxMessage) -> Channel | None:
        return self.channels.get(f"{row.channel}:{row.bot}") or self.channels.get(row.channel)

    def lane(self, channel: str, bot: str) -> Lane:
        lane = self.lanes.get((channel, bot))
        if lane is None:
            lane = self.lanes[(channel, bot)] = Lane(channel, bot, asyncio.Semaphore(self.settings.send_in_flight))
        return lane

    def usable(self, channel: str, bot: str) -> bool:
        """Whether this sender can deliver to ``(channel, bot)``: a channel of exactly that bot, not stopped."""
        lane = self.lanes.get((channel, bot))
        return (lane is None or lane.revoked is None) and lane_key(channel, bot) in self.channels

    def limiter(self, key: str) -> BotLimiter:
        lim = self._limiters.get(key)
        if lim is None:
            lim = self._limiter_for(key) if self._limiter_for else BotLimiter(
                self.settings.send_global_per_sec, self.settings.send_chat_per_sec, self.settings.send_group_per_min)
            self._limiters[key] = lim
        return lim

    def _count(self, lane: Lane, outcome: str, n: int = 1) -> None:
        self.stats[outcome] += n
        lane.stats[outcome] += n

    def wake(self) -> None:
        """Called after enqueueing, so the sender does not wait for its next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, idle_poll: float = 0.5) -> None:
        """Until ``stop``: find the bots with rows due and keep one task per bot sending them. A lane's task
        ends when its bot has nothing left to send; the next poll (or a wake) starts it again."""
        try:
            while not stop.is_set():
                self._wake.clear()  # before looking: a wake during the query is not lost
                try:
                    due = await self._due_lanes()
                except Exception:
                    log.exception("sender: looking for due rows failed")
                    due = []
                for channel, bot in due:
                    lane = self.lane(channel, bot)
                    if lane.revoked is None and (lane.task is None or lane.task.done()):
                        lane.task = asyncio.create_task(self._run_lane(lane, stop, idle_poll),
                                                        name=f"sender:{lane.key}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=idle_poll)
        finally:
            tasks = [lane.task for lane in self.lanes.values() if lane.task is not None and not lane.task.done()]
            if tasks:  # each lane finishes the row it is sending (a 429 pause may be long: bounded)
                _done, pending = await asyncio.wait(tasks, timeout=LANE_STOP_SECONDS)
                for task in pending:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _run_lane(self, lane: Lane, stop: asyncio.Event, idle_poll: float) -> None:
        while not stop.is_set() and lane.revoked is None:
            try:
                sent = await self.drain_lane(lane)
            except Exception:
                log.exception("sender: a pass of %s failed", lane.key)
                sent = 0
            if sent:
                continue
            busy = lane.busy_wait()
            if busy is None:
                return  # nothing due for this bot now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=min(idle_poll, busy))

    async def _due_lanes(self) -> list[tuple[str, str]]:
        async with self.db.session() as s:
            due = await outbox.due_lanes(s, now=self.clock.now(), channels=self._channel_names(),
                                         lease=self._lease())
        return [lane for lane in due if (lane not in self.lanes or self.lanes[lane].revoked is None)]

    def _channel_names(self) -> list[str]:
        return sorted({k.split(":")[0] for k in self.channels})

    def _lease(self) -> timedelta:
        return timedelta(seconds=self.settings.outbox_claim_lease_seconds)

    async def reclaim_own(self) -> int:
        """Single process only: take back at once the rows a crashed predecessor left ``sending``."""
        async with self.db.session() as s:
            n = await outbox.release_all_claims(s)
        if n:
            log.info("took back %s outbox rows left sending by the previous run", n)
        return n

    def busy_wait(self) -> float | None:
        """Seconds until the first skipped chat of any bot may send again (None: no chat is being skipped)."""
        waits = [w for lane in self.lanes.values() if lane.revoked is None and (w := lane.busy_wait()) is not None]
        return min(waits) if waits else None

    def _split_busy(self, lane: Lane, rows: list[OutboxMessage]) -> tuple[list[OutboxMessage], list[OutboxMessage]]:
        """(rows to send now, rows to give back): at most one row per chat per pass, and none for a chat
        that must still wait for its per-chat limit. Waiting for it here would hold a send slot (and the
        whole batch) for up to a second per message, or three in a group: head-of-line blocking."""
        ready: list[OutboxMessage] = []
        later: list[OutboxMessage] = []
        seen: set[str] = set()
        mono = time.monotonic()
        limiter = self.limiter(f"{lane.channel}:{lane.bot}")
        chat_wait = getattr(limiter, "chat_wait", None)
        interval = getattr(limiter, "chat_interval", None)
        for row in rows:
            chat_key = ChatRef(row.channel, row.chat_id, row.bot).key()
            is_group = _is_group(row)
            if chat_key in seen:
                # Its chat sends once in this pass; the next row may go one interval later at the earliest.
                wait = interval(is_group) if interval is not None else 1.0
            else:
                wait = chat_wait(chat_key, is_group) if chat_wait is not None else 0.0
            if wait > 0:
                later.append(row)
                lane.busy[row.chat_id] = max(lane.busy.get(row.chat_id, 0.0), mono + wait)
            else:
                seen.add(chat_key)
                ready.append(row)
        return ready, later

    async def drain_once(self, limit: int | None = None) -> int:
        """One pass of every bot with due rows, side by side; returns how many rows were handled
        (0 also when every due row belongs to a chat that must wait: see :meth:`busy_wait`)."""
        due = await self._due_lanes()
        counts = await asyncio.gather(*(self.drain_lane(self.lane(c, b), limit) for c, b in due))
        return sum(counts)

    async def drain_lane(self, lane: Lane, limit: int | None = None) -> int:
        """Claim one batch of the bot's due rows and send them concurrently (at most ``send_in_flight`` at
        once); returns how many were handled."""
        if lane.revoked is not None:
            return 0
        batch = limit or max(self.settings.send_in_flight * 4, 32)
        lane.busy_wait()  # forget chats that may send again
        skip = sorted(lane.busy, key=lane.busy.__getitem__, reverse=True)[:MAX_SKIPPED_CHATS]
        async with self.db.session() as s:
            rows = await outbox.claim_due(s, now=self.clock.now(), worker=self.worker_id, limit=batch,
                                          lane=(lane.channel, lane.bot), lease=self._lease(), skip_chats=skip)
        if not rows:
            return 0
        rows, later = self._split_busy(lane, rows)
        if later:
            self._count(lane, "deferred", len(later))
            await self._give_back(later)
        if not rows:
            return 0

        async def one(row: OutboxMessage) -> None:
            async with lane.in_flight:
                await self._send(row, lane)

        await asyncio.gather(*(one(r) for r in rows))
        return len(rows)

    async def _give_back(self, rows: list[OutboxMessage]) -> None:
        async with self.db.session() as s:
            await outbox.release(s, [r.id for r in rows if r.id is not None], worker=self.worker_id)

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

    async def _revoke(self, lane: Lane, reason: str) -> None:
        """The bot's token was refused: stop its lane (its rows stay pending for after the fix) and tell the
        system admins through another bot; every other lane goes on."""
        if lane.revoked is not None:
            return
        lane.revoked = reason
        self._count(lane, "revoked")
        log.error("bot %s stopped sending: %s; its rows stay queued until it is restarted with a working token",
                  lane.key, reason)
        if self.on_revoked is not None:
            try:
                await self.on_revoked(lane.channel, lane.bot, reason, self.usable)
            except Exception:
                log.exception("could not tell the admins that bot %s stopped", lane.key)

    async def _send(self, row: OutboxMessage, lane: Lane | None = None) -> None:
        assert row.id is not None
        lane = lane or self.lane(row.channel, row.bot)
        if lane.revoked is not None:  # stopped while this row waited for its turn: keep it for later
            await self._give_back([row])
            return
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
            if lane.revoked is not None:
                await self._give_back([row])
                return
            if self.before_send is not None:
                try:
                    await self.before_send(row, reply)
                except Exception:
                    log.exception("before_send hook failed for outbox %s", row.id)
            try:
                sent = await channel.deliver(chat, reply)
            except RetryableError as exc:
                if exc.retry_after is not None:
                    self._count(lane, "429")
                    limiter.pause(exc.retry_after)
                    continue  # wait the pause out inside the limiter, then try again
                self._count(lane, "transient")
                await self._reschedule(row, exc.reason)
                return
            except QuotaExhaustedError as exc:
                # The channel told the quota keeper; the gate decides on the next pass (hold or skip).
                self._count(lane, "quota_exhausted")
                log.warning("outbox %s (%s) to person %s: %s", row.id, row.kind, row.person_id, exc.reason)
                if not await self._gated(row, self.clock.now()):
                    await self._reschedule(row, exc.reason, delay=QUOTA_RECHECK_SECONDS, count=False)
                return
            except TokenRevokedError as exc:
                # Not this row's fault: it goes back untouched (attempts unchanged) with the rest of the bot's.
                await self._give_back([row])
                await self._revoke(lane, exc.reason)
                return
            except PermanentError as exc:
                if exc.unreachable:
                    self._count(lane, "unreachable")
                    await self._finish(row, OutboxStatus.UNREACHABLE, error=exc.reason)
                    if row.identity_id is not None and (not exc.confirm or await self._confirmed_unreachable(row)):
                        await self.identities.mark_unreachable(row.identity_id, exc.reason)
                    elif row.identity_id is not None:
                        log.warning("outbox %s (%s): identity %s not reachable this time (%s); not marked yet",
                                    row.id, row.kind, row.identity_id, exc.reason)
                else:
                    self._count(lane, "failed")
                    log.warning("outbox %s (%s) failed: %s", row.id, row.kind, exc.reason)
                    await self._finish(row, OutboxStatus.FAILED, error=exc.reason)
                return
            except Exception as exc:  # a bug in rendering must not kill the sender loop
                log.exception("outbox %s (%s) crashed the channel", row.id, row.kind)
                self._count(lane, "failed")
                await self._finish(row, OutboxStatus.FAILED, error=f"internal error: {type(exc).__name__}")
                return
            self._count(lane, "sent")
            lane.sends.append(time.monotonic())
            if sent.uncertain:  # a garbled 2xx: most likely sent; a retry could send it twice
                self._count(lane, "sent_uncertain")
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
            self._count(self.lane(row.channel, row.bot), "held")
            if row.expires_at is not None and reason.until > _aware(row.expires_at):
                await self._finish(row, OutboxStatus.SKIPPED, error=f"{reason.reason}; expires before then")
                return True
            delay = max(1.0, (reason.until - now).total_seconds())
            await self._reschedule(row, reason.reason, delay=delay, count=False)
            log.info("outbox %s (%s) held until %s: %s", row.id, row.kind, reason.until.isoformat(), reason.reason)
            return True
        if reason:
            self._count(self.lane(row.channel, row.bot), "gated")
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
            self._count(self.lane(row.channel, row.bot), "failed")
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
