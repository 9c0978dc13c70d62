"""Broadcasts: sending (confirm, cancel) and the author's live progress message, with its outbox observer
and backstop tick. Sending and progress share one instance's per-process bookkeeping.

Progress is one message to the author, edited in place (at most every few seconds, only when the numbers
changed) on channels that can edit.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.broadcasts.callbacks import CancelNotice, NotAckedList, ResendNotice
from bot.features.broadcasts.models import Broadcast, BroadcastStatus
from bot.features.broadcasts.notices import (
    PRIORITY,
    BroadcastUseCase,
    _header,
    _reachable,
    notice_label,
    notice_reply,
)
from bot.i18n import _
from bot.messages import Button, ChatRef, Reply, esc
from bot.services import audit, outbox
from bot.services.actor import Actor
from bot.services.deps import Deps, Services
from bot.services.errors import Conflict, InvalidInput
from bot.services.notify import Addressee, notify_chat, notify_many
from bot.text import number
from storage.models.outbox import OutboxMessage, OutboxStatus

PROGRESS_EVERY = 3.0  # seconds between progress edits (Telegram allows about one per second per chat)


@dataclass(frozen=True, slots=True)
class Progress:
    total: int
    sent: int
    unreachable: int
    failed: int
    cancelled: int
    pending: int  # not final yet, including those waiting to retry
    retrying: int = 0  # pending after a temporary error (an outage): the sender retries them by itself

    @property
    def done(self) -> bool:
        return self.pending == 0

    def as_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "sent": self.sent,
            "unreachable": self.unreachable,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "pending": self.pending,
            "retrying": self.retrying,
        }


class BroadcastSending(BroadcastUseCase):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        # Per-process progress bookkeeping: throttling and "is it finished?" without a query per row.
        self._locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._last_edit: dict[int, float] = {}
        self._last_check: dict[int, float] = {}
        self._finished_since: dict[int, int] = defaultdict(int)
        self._pending_at_check: dict[int, int] = {}

    async def confirm(
        self,
        actor: Actor,
        broadcast_id: int,
        *,
        progress_chat: ChatRef,
        progress_message_id: str | None,
        can_edit: bool,
    ) -> Broadcast:
        """Queue one outbox row per recipient (now, or at the scheduled time)."""
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            b = await self._own(s, actor, broadcast_id)
            if b.status != BroadcastStatus.DRAFT:
                raise Conflict(_("This notice was already sent or cancelled."))
            people = await self._recipients(s, b, now)
            if not people:
                raise InvalidInput(_("Nobody is in that audience right now, so nothing was sent."))
            due = b.scheduled_at or now
            reachable = await _reachable(s, people)
            addressees = [Addressee(key=f"broadcast:{b.id}:{pid}", to=to, locale=locale, branch_id=b.branch_id,
                                    not_before=due)
                          for pid, (to, locale) in sorted(reachable.items())]

            async def render(_branch_id: int | None) -> Reply:
                return notice_reply(b, await _header(s, b))

            # One executemany: a row-by-row insert took ~8 s of a 10,000-member broadcast before any send.
            await notify_many(s, self.deps, addressees, kind="broadcast", render=render,
                              ref=f"broadcast:{b.id}", priority=PRIORITY)
            b.total, b.no_account = len(people), len(people) - len(reachable)
            b.progress_channel, b.progress_chat_id, b.progress_bot = (
                progress_chat.channel,
                progress_chat.chat_id,
                progress_chat.bot,
            )
            b.progress_message_id, b.progress_can_edit = progress_message_id, can_edit
            if b.scheduled_at is not None:
                b.status = BroadcastStatus.SCHEDULED.value
                # The live progress message appears when sending starts.
                await notify_chat(
                    s,
                    self.deps,
                    progress_chat,
                    person_id=actor.person_id,
                    key=f"bprogress:{b.id}:start",
                    kind="broadcast_progress",
                    render=lambda: self._progress_reply(b, Progress(b.total, 0, b.no_account, 0, 0, 1)),
                    not_before=due,
                    priority=0,
                    ref=f"bprogress:{b.id}",
                    branch_id=b.branch_id,
                )
            else:
                b.status, b.started_at = BroadcastStatus.SENDING.value, now
            s.add(b)
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="broadcast.send",
                org_id=b.org_id,
                branch_id=b.branch_id,
                target=f"broadcast:{b.id}",
                details={
                    "audience": b.audience,
                    "size": len(people),
                    "scheduled": b.scheduled_at.isoformat() if b.scheduled_at else None,
                    "ack": b.ack_requested,
                    "chars": len(b.text),
                    "media": bool(b.media),
                },
            )
            await s.flush()
        self._pending_at_check.pop(broadcast_id, None)
        self._last_edit[broadcast_id] = time.monotonic()  # the handler has just shown the first state
        return b

    async def cancel(self, actor: Actor, broadcast_id: int) -> Progress:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            b = await self._own(s, actor, broadcast_id)
            if b.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED):
                raise Conflict(_("This notice has already finished; nothing is left to cancel."))
            n = await outbox.cancel_ref(s, f"broadcast:{b.id}")
            await outbox.cancel_ref(s, f"bprogress:{b.id}")
            b.status, b.finished_at = BroadcastStatus.CANCELLED.value, now
            s.add(b)
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="broadcast.cancel",
                org_id=b.org_id,
                branch_id=b.branch_id,
                target=f"broadcast:{b.id}",
                details={"cancelled_rows": n},
            )
            return await self._counts(s, b)

    async def resend(self, actor: Actor, broadcast_id: int) -> int:
        """Send the finished notice again to those it missed (rows failed, or expired, e.g. after a long
        outage); never to those who blocked the bot. Returns how many were queued: 0 when a press before
        this one already did it (a double press queues nothing twice)."""
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            b = await self._own(s, actor, broadcast_id)
            if b.status == BroadcastStatus.CANCELLED:
                raise Conflict(_("This notice was cancelled."))
            if b.status != BroadcastStatus.DONE:
                return 0  # still sending (maybe this very resend, pressed twice)
            # The compare-and-set on the status decides between two presses racing on two workers.
            won = await s.execute(
                update(Broadcast)
                .where(Broadcast.id == b.id, Broadcast.status == BroadcastStatus.DONE.value)
                .values(status=BroadcastStatus.SENDING.value, finished_at=None)
            )
            if not won.rowcount:
                return 0
            n = await outbox.resend_missed(s, f"broadcast:{b.id}", now=now)
            if n == 0:  # nothing was missed after all: leave it finished
                await s.execute(update(Broadcast).where(Broadcast.id == b.id)
                                .values(status=BroadcastStatus.DONE.value, finished_at=b.finished_at or now))
                return 0
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="broadcast.resend",
                org_id=b.org_id,
                branch_id=b.branch_id,
                target=f"broadcast:{b.id}",
                details={"rows": n},
            )
        self._pending_at_check.pop(broadcast_id, None)
        return n

    async def _counts(self, s: AsyncSession, b: Broadcast) -> Progress:
        c = await outbox.counts_by_status(s, f"broadcast:{b.id}")
        return Progress(
            total=b.total,
            sent=c.get(OutboxStatus.SENT.value, 0),
            unreachable=c.get(OutboxStatus.UNREACHABLE.value, 0) + b.no_account,
            failed=c.get(OutboxStatus.FAILED.value, 0) + c.get(OutboxStatus.SKIPPED.value, 0),
            cancelled=c.get(OutboxStatus.CANCELLED.value, 0),
            pending=c.get(OutboxStatus.PENDING.value, 0) + c.get(OutboxStatus.SENDING.value, 0),
            retrying=await outbox.waiting_to_retry(s, f"broadcast:{b.id}"),
        )

    async def status(self, actor: Actor, broadcast_id: int) -> tuple[Broadcast, Progress]:
        async with self.deps.db.session() as s:
            b = await self._own(s, actor, broadcast_id)
            return b, await self._counts(s, b)

    async def failure_reasons(self, s: AsyncSession, broadcast_id: int) -> list[tuple[str, int]]:
        rows = await s.execute(
            select(OutboxMessage.last_error, func.count())
            .where(
                OutboxMessage.ref == f"broadcast:{broadcast_id}",
                OutboxMessage.status.in_([OutboxStatus.FAILED.value, OutboxStatus.SKIPPED.value]),
            )
            .group_by(OutboxMessage.last_error)
            .order_by(func.count().desc())
        )
        return [(reason or "?", int(n)) for reason, n in rows.all()]

    def _progress_reply(
        self, b: Broadcast, p: Progress, reasons: list[tuple[str, int]] | None = None
    ) -> Reply:
        if b.status == BroadcastStatus.CANCELLED:
            text = _(
                "🛑 Notice {notice} was cancelled.\n• Delivered before cancelling: {sent}\n"
                "• Not sent: {cancelled}"
            ).format(notice=notice_label(b), sent=number(p.sent), cancelled=number(p.cancelled))
            return Reply(text=text)
        if not p.done:
            text = _("📣 Sending notice {notice}: delivered {sent}/{total} • errors {errors}").format(
                notice=notice_label(b), sent=number(p.sent), total=number(p.total),
                errors=number(p.failed + p.unreachable)
            )
            if p.retrying:
                text += "\n" + _(
                    "⏳ {n} waiting to retry (the connection is interrupted; they will be sent automatically)"
                ).format(n=p.retrying)
            return Reply(text=text, buttons=[[Button(_("🛑 Stop sending"), CancelNotice(b.id).pack())]])
        lines = [
            _("✅ Notice {notice} has been sent.").format(notice=notice_label(b)),
            _("• Delivered: {n}").format(n=p.sent),
            _("• Could not be reached (blocked the bot or never started it): {n}").format(n=p.unreachable),
            _("• Failed: {n}").format(n=p.failed),
        ]
        lines += [f"   – {esc(reason[:120])}: {n}" for reason, n in (reasons or [])[:3]]
        buttons = [[Button(_("👀 Who has not confirmed"), NotAckedList(b.id).pack())]] if b.ack_requested else []
        if p.failed:
            buttons.append([Button(_("🔁 Send again to those who did not receive it"), ResendNotice(b.id).pack())])
        return Reply(text="\n".join(lines), buttons=buttons)

    async def progress(self, broadcast_id: int, force: bool = False) -> Progress | None:
        """Called after each of the broadcast's rows is final: maybe update the author's progress message."""
        mono = time.monotonic()
        self._finished_since[broadcast_id] += 1
        pending = self._pending_at_check.get(broadcast_id)
        # Query the counts at most about once a second, or when this process may have sent the last row.
        # Concurrent finishes may be undercounted by up to the sender's in-flight rows, so near the end
        # every finish checks: the last row's own call then always sees the broadcast complete.
        margin = 2 * self.deps.settings.send_in_flight + 8
        if (
            not force
            and pending is not None
            and mono - self._last_check.get(broadcast_id, 0.0) < 1.0
            and self._finished_since[broadcast_id] < pending - margin
        ):
            return None
        async with self._locks[broadcast_id]:
            self._last_check[broadcast_id] = time.monotonic()
            self._finished_since[broadcast_id] = 0
            now = self.deps.clock.now()
            async with self.deps.db.session() as s:
                b = await s.get(Broadcast, broadcast_id)
                if b is None or b.status in (BroadcastStatus.DRAFT, BroadcastStatus.CANCELLED):
                    return None
                p = await self._counts(s, b)
                self._pending_at_check[broadcast_id] = p.pending
                old = {k: v for k, v in (b.progress_state or {}).items() if k != "halfway"}
                if b.status == BroadcastStatus.DONE or p.as_dict() == old:
                    return p
                # Rows starting (or ending) to wait for a retry is news the author should see at once.
                turned = bool(p.retrying) != bool(old.get("retrying"))
                if not p.done and not force and not turned:
                    if b.progress_can_edit:
                        if (
                            mono - self._last_edit.get(broadcast_id, 0.0) < PROGRESS_EVERY
                            or not b.progress_message_id
                        ):
                            return p
                    else:
                        # Without edits, one message at half way is enough; more would be noise.
                        halfway = (p.total - p.pending) * 2 >= p.total
                        if not halfway or (b.progress_state or {}).get("halfway"):
                            return p
                state = {**p.as_dict(), "halfway": (p.total - p.pending) * 2 >= p.total}
                won = await s.execute(
                    update(Broadcast)
                    .where(Broadcast.id == b.id, Broadcast.progress_seq == b.progress_seq)
                    .values(
                        progress_seq=b.progress_seq + 1,
                        progress_state=state,
                        status=BroadcastStatus.DONE.value if p.done else BroadcastStatus.SENDING.value,
                        finished_at=now if p.done else None,
                        started_at=b.started_at or now,
                    )
                )
                if not won.rowcount:
                    return p  # another worker reported this step
                self._last_edit[broadcast_id] = time.monotonic()
                b.status = BroadcastStatus.DONE.value if p.done else b.status
                reasons = await self.failure_reasons(s, b.id) if p.done else None

                def render(p: Progress = p) -> Reply:
                    reply = self._progress_reply(b, p, reasons)
                    if b.progress_can_edit and b.progress_message_id:
                        reply.edit_of = b.progress_message_id
                    return reply

                # Unique per step (the compare-and-set on progress_seq above picked one reporter), so a
                # "send again" round gets its own final report.
                key = f"bprogress:{b.id}:{'final:' if p.done else ''}{b.progress_seq + 1}"
                # Each report carries the whole state: one still waiting (e.g. for a retry after an outage)
                # is superseded, and must not land after this one.
                await outbox.cancel_ref(s, f"bpedit:{b.id}")
                await notify_chat(
                    s,
                    self.deps,
                    ChatRef(b.progress_channel, b.progress_chat_id, b.progress_bot),
                    person_id=b.author_person_id,
                    key=key,
                    kind="broadcast_progress",
                    render=render,
                    priority=0,
                    ref=f"bpedit:{b.id}",
                    branch_id=b.branch_id,
                )
                return p

    async def set_progress_message(self, broadcast_id: int, message_id: str) -> None:
        async with self.deps.db.session() as s:
            await s.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id, Broadcast.progress_message_id.is_(None))
                .values(progress_message_id=message_id)
            )

    async def finish_stale(self) -> None:
        """Backstop (tick): report broadcasts whose last row finished in another process."""
        async with self.deps.db.session() as s:
            ids = (
                (
                    await s.execute(
                        select(Broadcast.id).where(
                            Broadcast.status.in_(
                                [BroadcastStatus.SENDING.value, BroadcastStatus.SCHEDULED.value]
                            )
                        )
                    )
                )
                .scalars()
                .all()
            )
        for bid in ids:
            await self.progress(bid, force=False)


async def _observe(services: Services, row: OutboxMessage, status: str, message_ids: list[str]) -> None:
    ref = row.ref or ""
    if ref.startswith("bprogress:") and status == OutboxStatus.SENT.value and message_ids:
        await services.get(BroadcastSending).set_progress_message(int(ref.split(":")[1]), message_ids[-1])
    elif ref.startswith("broadcast:"):
        await services.get(BroadcastSending).progress(int(ref.split(":")[1]))


async def broadcast_progress(services: Services, now: datetime, since: datetime | None) -> None:
    """Backstop: finish the report of a broadcast whose last row was sent by another process."""
    await services.get(BroadcastSending).finish_stale()
