"""Broadcasts: a secretary's notice to the branch (or a committee's to the đảng bộ), sent through the outbox.

Each recipient is one outbox row keyed ``broadcast:{id}:{person}`` with ref ``broadcast:{id}``, so a restart
never sends twice and cancelling stops what is not yet sent. Progress is one message to the author, edited
in place (at most every few seconds, only when the numbers changed) on channels that can edit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.broadcasts.callbacks import AckNotice, CancelNotice, NotAckedList
from bot.features.broadcasts.models import Broadcast, BroadcastAck, BroadcastStatus
from bot.i18n import _
from bot.messages import Button, ChatRef, MediaRef, Reply, esc
from bot.services import audit, outbox
from bot.services.actor import Actor
from bot.services.deps import Deps, Services
from bot.services.directory import active_member_ids, managed_branch, seated_manager_ids
from bot.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.services.notify import Addressee, notify_chat, notify_many
from bot.services.permissions import require_org_admin
from storage.models.org import Branch, Organization
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.models.people import Identity, Person

log = logging.getLogger("hocbac.broadcasts")

DEFAULT_MAX_TEXT = 4096  # Telegram's limit; the handler passes the channel's own
MAX_PARTS = 4  # a longer notice is split into at most this many messages, with consent
PROGRESS_EVERY = 3.0  # seconds between progress edits (Telegram allows about one per second per chat)
PRIORITY = 5
SCOPES = ("branch", "org_members", "org_secretaries")


def notice_reply(b: Broadcast, header: str) -> Reply:
    """The notice exactly as members see it (also used for the author's preview)."""
    text = f"📣 <b>{esc(header)}</b>\n\n{esc(b.text)}"
    buttons = [[Button(_("Received ✓"), AckNotice(b.id).pack())]] if b.ack_requested else []
    media = MediaRef.from_dict(b.media) if b.media else None
    return Reply(text=text, buttons=buttons, media=media)


@dataclass(frozen=True, slots=True)
class Progress:
    total: int
    sent: int
    unreachable: int
    failed: int
    cancelled: int
    pending: int

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
        }


async def _header(s: AsyncSession, b: Broadcast) -> str:
    if b.branch_id is not None:
        branch = await s.get(Branch, b.branch_id)
        return _("Notice from {name}").format(name=branch.name if branch else "")
    org = await s.get(Organization, b.org_id)
    return _("Notice from {name}").format(name=org.name if org else "")


async def org_branch_ids(s: AsyncSession, org_id: int) -> list[int]:
    return list((await s.execute(select(Branch.id).where(Branch.org_id == org_id))).scalars().all())


async def _reachable(s: AsyncSession, person_ids: set[int]) -> dict[int, tuple[outbox.Recipient, str]]:
    """person -> (preferred reachable account, locale), in bulk (a broadcast may reach thousands)."""
    found: dict[int, tuple[outbox.Recipient, str]] = {}
    ids = sorted(person_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        people = {
            p.id: p for p in (await s.execute(select(Person).where(Person.id.in_(chunk)))).scalars().all()
        }
        idents = (
            (
                await s.execute(
                    select(Identity)
                    .where(Identity.person_id.in_(chunk), Identity.reachable.is_(True))
                    .order_by(Identity.id)
                )
            )
            .scalars()
            .all()
        )
        by_person: dict[int, list[Identity]] = defaultdict(list)
        for ident in idents:
            by_person[ident.person_id].append(ident)
        for pid, rows in by_person.items():
            person = people.get(pid)
            if person is None or person.erased_at is not None:
                continue
            pref = person.preferred_channel
            ident = sorted(rows, key=lambda r, pref=pref: (r.channel != (pref or r.channel), r.id))[0]
            found[pid] = (
                outbox.Recipient(ChatRef(ident.channel, ident.chat_id, ident.bot), pid, ident.id),
                person.locale,
            )
    return found


class BroadcastService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        # Per-process progress bookkeeping: throttling and "is it finished?" without a query per row.
        self._locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._last_edit: dict[int, float] = {}
        self._last_check: dict[int, float] = {}
        self._finished_since: dict[int, int] = defaultdict(int)
        self._pending_at_check: dict[int, int] = {}

    # --- composing ----------------------------------------------------------------------------------

    def audience_options(self) -> list[tuple[str, str]]:
        """(key, label) of the registered audiences, "all" first, then a hand-picked list."""
        audiences = self.deps.ext.audiences
        keys = sorted(audiences, key=lambda k: (k != "all", k))
        return [(k, audiences[k].label()) for k in keys] + [("pick", _("Choose members by hand"))]

    async def _check_scope(
        self, s: AsyncSession, actor: Actor, scope: str, branch_id: int | None, org_id: int | None
    ) -> tuple[int, int | None]:
        if scope not in SCOPES:
            raise InvalidInput(_("Unknown audience."))
        if scope == "branch":
            if branch_id is None:
                raise NotFound(_("That branch does not exist."))
            branch = await managed_branch(s, actor, branch_id, "broadcast")
            return branch.org_id, branch.id
        if org_id is None or await s.get(Organization, org_id) is None:
            raise NotFound(_("That Party committee does not exist."))
        require_org_admin(actor, org_id, "broadcast.org")
        return org_id, None

    @staticmethod
    def check_text(text: str, max_text: int, allow_split: bool) -> None:
        if not text.strip():
            raise InvalidInput(
                _("The notice is empty. Please type its text (at most {n} characters).").format(
                    n=f"{max_text:,}"
                )
            )
        limit = max_text * (MAX_PARTS if allow_split else 1)
        if len(text) > limit:
            raise InvalidInput(
                _("The notice is too long ({length} characters). The limit is {n} characters.").format(
                    length=f"{len(text):,}", n=f"{limit:,}"
                )
            )

    async def create_draft(
        self,
        actor: Actor,
        *,
        scope: str = "branch",
        branch_id: int | None = None,
        org_id: int | None = None,
        text: str,
        media: dict[str, Any] | None = None,
        audience: str = "all",
        person_ids: list[int] | None = None,
        ack: bool = False,
        scheduled_at: datetime | None = None,
        max_text: int = DEFAULT_MAX_TEXT,
        allow_split: bool = False,
    ) -> tuple[Broadcast, int]:
        """Save a draft and return it with the number of members it would reach now."""
        self.check_text(text, max_text, allow_split)
        now = self.deps.clock.now()
        if scheduled_at is not None and scheduled_at <= now:
            raise InvalidInput(_("That time has already passed. Please choose a later time."))
        if scope == "branch" and audience != "pick" and audience not in self.deps.ext.audiences:
            raise InvalidInput(_("Unknown audience."))
        async with self.deps.db.session() as s:
            org_id, branch_id = await self._check_scope(s, actor, scope, branch_id, org_id)
            b = Broadcast(
                author_person_id=actor.person_id,
                org_id=org_id,
                branch_id=branch_id,
                scope=scope,
                text=text.strip(),
                media=media,
                audience=audience if scope == "branch" else scope,
                person_ids=sorted(set(person_ids)) if person_ids else None,
                ack_requested=ack,
                scheduled_at=scheduled_at,
                created_at=now,
            )
            s.add(b)
            await s.flush()
            count = len(await self._recipients(s, b, now))
            return b, count

    async def preview(self, actor: Actor, broadcast_id: int) -> tuple[Reply, int]:
        async with self.deps.db.session() as s:
            b = await self._own(s, actor, broadcast_id)
            return notice_reply(b, await _header(s, b)), len(
                await self._recipients(s, b, self.deps.clock.now())
            )

    async def _own(self, s: AsyncSession, actor: Actor, broadcast_id: int) -> Broadcast:
        b = await s.get(Broadcast, broadcast_id)
        if b is None:
            raise NotFound(_("That notice does not exist."))
        await self._check_scope(s, actor, b.scope, b.branch_id, b.org_id)
        return b

    async def _recipients(self, s: AsyncSession, b: Broadcast, now: datetime) -> set[int]:
        if b.scope == "branch":
            assert b.branch_id is not None
            members = await active_member_ids(s, b.branch_id)
            if b.audience == "pick":
                return members & set(b.person_ids or [])
            aud = self.deps.ext.audiences.get(b.audience)
            return (await aud.members(s, self.deps, b.branch_id, now)) & members if aud else set()
        result: set[int] = set()
        for bid in await org_branch_ids(s, b.org_id):
            result |= (
                set(await seated_manager_ids(s, bid))
                if b.scope == "org_secretaries"
                else await active_member_ids(s, bid)
            )
        return result

    # --- sending ------------------------------------------------------------------------------------

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

    async def _counts(self, s: AsyncSession, b: Broadcast) -> Progress:
        c = await outbox.counts_by_status(s, f"broadcast:{b.id}")
        return Progress(
            total=b.total,
            sent=c.get(OutboxStatus.SENT.value, 0),
            unreachable=c.get(OutboxStatus.UNREACHABLE.value, 0) + b.no_account,
            failed=c.get(OutboxStatus.FAILED.value, 0) + c.get(OutboxStatus.SKIPPED.value, 0),
            cancelled=c.get(OutboxStatus.CANCELLED.value, 0),
            pending=c.get(OutboxStatus.PENDING.value, 0) + c.get(OutboxStatus.SENDING.value, 0),
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
                "🛑 Notice #{id} was cancelled.\n• Delivered before cancelling: {sent}\n"
                "• Not sent: {cancelled}"
            ).format(id=b.id, sent=p.sent, cancelled=p.cancelled)
            return Reply(text=text)
        if not p.done:
            text = _("📣 Sending notice #{id}: delivered {sent}/{total} • errors {errors}").format(
                id=b.id, sent=p.sent, total=p.total, errors=p.failed + p.unreachable
            )
            return Reply(text=text, buttons=[[Button(_("🛑 Stop sending"), CancelNotice(b.id).pack())]])
        lines = [
            _("✅ Notice #{id} has been sent.").format(id=b.id),
            _("• Delivered: {n}").format(n=p.sent),
            _("• Could not be reached (blocked the bot or never started it): {n}").format(n=p.unreachable),
            _("• Failed: {n}").format(n=p.failed),
        ]
        lines += [f"   – {esc(reason[:120])}: {n}" for reason, n in (reasons or [])[:3]]
        buttons = [[Button(_("👀 Who has not confirmed"), NotAckedList(b.id).pack())]] if b.ack_requested else []
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
                if not p.done and not force:
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

                key = f"bprogress:{b.id}:final" if p.done else f"bprogress:{b.id}:{b.progress_seq + 1}"
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

    # --- acknowledgements and nudges -----------------------------------------------------------------

    async def acknowledge(self, actor: Actor, broadcast_id: int) -> bool:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            row = (
                await s.execute(
                    select(OutboxMessage.id).where(
                        OutboxMessage.key == f"broadcast:{broadcast_id}:{actor.person_id}"
                    )
                )
            ).scalar_one_or_none()
            if row is None:
                raise PermissionDenied(_("This notice was not sent to you."))
            exists = await s.execute(
                select(BroadcastAck.id).where(
                    BroadcastAck.broadcast_id == broadcast_id, BroadcastAck.person_id == actor.person_id
                )
            )
            if exists.scalar_one_or_none() is not None:
                return False
            s.add(BroadcastAck(broadcast_id=broadcast_id, person_id=actor.person_id, at=now))
            return True

    async def _not_acked(self, s: AsyncSession, b: Broadcast) -> list[Person]:
        delivered = select(OutboxMessage.person_id).where(
            OutboxMessage.ref == f"broadcast:{b.id}", OutboxMessage.status == OutboxStatus.SENT.value
        )
        acked = select(BroadcastAck.person_id).where(BroadcastAck.broadcast_id == b.id)
        rows = await s.execute(
            select(Person)
            .where(Person.id.in_(delivered), Person.id.not_in(acked))
            .order_by(Person.display_name)
        )
        return list(rows.scalars().all())

    async def not_acknowledged(self, actor: Actor, broadcast_id: int) -> tuple[Broadcast, list[Person], int]:
        async with self.deps.db.session() as s:
            b = await self._own(s, actor, broadcast_id)
            acked = (
                await s.execute(
                    select(func.count()).select_from(BroadcastAck).where(BroadcastAck.broadcast_id == b.id)
                )
            ).scalar_one()
            return b, await self._not_acked(s, b), int(acked)

    async def nudge(self, actor: Actor, broadcast_id: int) -> int:
        """Remind only those who have not confirmed, once per notice."""
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            b = await self._own(s, actor, broadcast_id)
            if not b.ack_requested:
                raise InvalidInput(_("This notice did not ask for confirmation."))
            if b.nudged_at is not None:
                raise Conflict(_("You have already reminded them once."))
            people = await self._not_acked(s, b)
            reachable = await _reachable(s, {p.id for p in people if p.id is not None})
            addressees = [Addressee(key=f"nudge:{b.id}:{pid}", to=to, locale=locale, branch_id=b.branch_id)
                          for pid, (to, locale) in sorted(reachable.items())]

            async def render(_branch_id: int | None) -> Reply:
                reply = notice_reply(b, await _header(s, b))
                reply.text = _("🔔 Reminder: please confirm you have received this notice.") + "\n\n" + reply.text
                return reply

            await notify_many(s, self.deps, addressees, kind="broadcast_nudge", render=render,
                              ref=f"nudge:{b.id}", priority=PRIORITY)
            b.nudged_at = now
            s.add(b)
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="broadcast.nudge",
                org_id=b.org_id,
                branch_id=b.branch_id,
                target=f"broadcast:{b.id}",
                details={"size": len(reachable)},
            )
            return len(reachable)


# --- extension points ------------------------------------------------------------------------------


async def _all_members(s: AsyncSession, deps: Deps, branch_id: int, now: datetime) -> set[int]:
    return await active_member_ids(s, branch_id)


async def _not_acknowledged_last(s: AsyncSession, deps: Deps, branch_id: int, now: datetime) -> set[int]:
    last = (
        await s.execute(
            select(Broadcast)
            .where(
                Broadcast.branch_id == branch_id,
                Broadcast.ack_requested.is_(True),
                Broadcast.status.in_([BroadcastStatus.SENDING.value, BroadcastStatus.DONE.value]),
            )
            .order_by(Broadcast.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if last is None:
        return set()
    delivered = set(
        (
            await s.execute(
                select(OutboxMessage.person_id).where(
                    OutboxMessage.ref == f"broadcast:{last.id}",
                    OutboxMessage.status == OutboxStatus.SENT.value,
                )
            )
        )
        .scalars()
        .all()
    )
    acked = set(
        (await s.execute(select(BroadcastAck.person_id).where(BroadcastAck.broadcast_id == last.id)))
        .scalars()
        .all()
    )
    return {p for p in delivered - acked if p is not None}


def _in_period(start: datetime, end: datetime):  # type: ignore[no-untyped-def]
    started = func.coalesce(Broadcast.started_at, Broadcast.scheduled_at, Broadcast.created_at)
    return started >= start, started < end


async def _notice_figures(
    s: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
) -> dict[str, float | int]:
    rows = (
        (
            await s.execute(
                select(Broadcast).where(
                    Broadcast.branch_id == branch_id,
                    *_in_period(start, end),
                    Broadcast.status.in_(
                        [
                            BroadcastStatus.SENDING.value,
                            BroadcastStatus.DONE.value,
                            BroadcastStatus.CANCELLED.value,
                        ]
                    ),
                )
            )
        )
        .scalars()
        .all()
    )
    sent = ack_sent = acked = 0
    for b in rows:
        n = (
            await s.execute(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.ref == f"broadcast:{b.id}", OutboxMessage.status == OutboxStatus.SENT.value
                )
            )
        ).scalar_one()
        sent += int(n)
        if b.ack_requested:
            ack_sent += int(n)
            acked += int(
                (
                    await s.execute(
                        select(func.count())
                        .select_from(BroadcastAck)
                        .where(BroadcastAck.broadcast_id == b.id)
                    )
                ).scalar_one()
            )
    return {
        "notices": len(rows),
        "notices_sent": sent,
        "notices_ack_sent": ack_sent,
        "notices_acknowledged": acked,
    }


async def _notice_sheet(
    s: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
) -> tuple[list[str], list[list[Any]]]:
    header = [
        _("No."),
        _("Created"),
        _("Author"),
        _("Audience"),
        _("Text"),
        _("Recipients"),
        _("Delivered"),
        _("Could not be reached"),
        _("Failed"),
        _("Asked to confirm"),
        _("Confirmed"),
        _("Status"),
    ]
    rows = (
        await s.execute(
            select(Broadcast, Person)
            .join(Person, Person.id == Broadcast.author_person_id)
            .where(
                Broadcast.branch_id == branch_id,
                *_in_period(start, end),
                Broadcast.status != BroadcastStatus.DRAFT.value,
            )
            .order_by(Broadcast.id)
        )
    ).all()
    out: list[list[Any]] = []
    for b, author in rows:
        c = await outbox.counts_by_status(s, f"broadcast:{b.id}")
        acked = (
            await s.execute(
                select(func.count()).select_from(BroadcastAck).where(BroadcastAck.broadcast_id == b.id)
            )
        ).scalar_one()
        aud = deps.ext.audiences.get(b.audience)
        out.append(
            [
                b.id,
                b.created_at.replace(tzinfo=None),
                author.display_name,
                aud.label() if aud else b.audience,
                b.text[:500],
                b.total,
                c.get("sent", 0),
                c.get("unreachable", 0) + b.no_account,
                c.get("failed", 0) + c.get("skipped", 0),
                _("yes") if b.ack_requested else _("no"),
                int(acked),
                b.status,
            ]
        )
    return header, out


async def _observe(services: Services, row: OutboxMessage, status: str, message_ids: list[str]) -> None:
    ref = row.ref or ""
    if ref.startswith("bprogress:") and status == OutboxStatus.SENT.value and message_ids:
        await services.get(BroadcastService).set_progress_message(int(ref.split(":")[1]), message_ids[-1])
    elif ref.startswith("broadcast:"):
        await services.get(BroadcastService).progress(int(ref.split(":")[1]))


async def broadcast_progress(services: Services, now: datetime, since: datetime | None) -> None:
    """Backstop: finish the report of a broadcast whose last row was sent by another process."""
    await services.get(BroadcastService).finish_stale()
