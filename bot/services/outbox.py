"""Enqueue outgoing messages inside the caller's transaction, and the sender's claim/ack verbs.

A row's unique ``key`` makes every enqueue idempotent: a tick that runs twice, or a restart, never
double-enqueues. Claims are leases: a row stuck in ``sending`` after a crash is claimed again once its
lease expires (at-least-once inside that in-flight window; nothing confirmed sent is sent again).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Text, and_, cast, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.messages import ChatRef, Reply
from bot.services.erasure import drop_media, redact
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.models.people import Identity, Person

CLAIM_LEASE = timedelta(minutes=2)  # the default of OUTBOX_CLAIM_LEASE_SECONDS; callers pass the setting


@dataclass(frozen=True, slots=True)
class Recipient:
    chat: ChatRef
    person_id: int | None = None
    identity_id: int | None = None


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    to: Recipient,
    reply: Reply,
    due_at: datetime,
    priority: int = 0,
    ref: str | None = None,
    branch_id: int | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Insert a row unless one with ``key`` exists. Returns True when a row was added."""
    values = _values(key=key, kind=kind, to=to, payload=reply.to_dict(), due_at=due_at, priority=priority,
                     ref=ref, branch_id=branch_id, expires_at=expires_at)
    stmt = _insert(session)(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["key"])
    result = await session.execute(stmt)
    return bool(result.rowcount)


# Lower goes first: a direct reply someone is waiting for goes before any notice (0), broadcast or daily item.
REPLY_PRIORITY = -10
REPLY_KIND = "reply"


def reply_key(chat: ChatRef, update_id: str, index: int) -> str:
    """The idempotent key of the ``index``-th reply to one update (a redelivered update queues nothing twice)."""
    return f"{REPLY_KIND}:{chat.channel}:{chat.bot}:{chat.chat_id}:{update_id}:{index}"[:200]


async def enqueue_reply(session: AsyncSession, *, key: str, to: Recipient, reply: Reply, now: datetime) -> bool:
    """A direct reply the channel could not take right now (rate limited past the in-request wait, a 5xx, the
    network): the sender delivers it at the highest priority. Not a proactive message, so it takes no notify
    policy (quiet hours, pause, quota): the person just wrote and is waiting for it."""
    return await enqueue(session, key=key, kind=REPLY_KIND, to=to, reply=reply, due_at=now, priority=REPLY_PRIORITY)


@dataclass(frozen=True, slots=True)
class Queued:
    """One row for :func:`enqueue_many` (``payload`` is ``Reply.to_dict()``, shareable between rows)."""

    key: str
    kind: str
    to: Recipient
    payload: dict[str, object]
    due_at: datetime
    priority: int = 0
    ref: str | None = None
    branch_id: int | None = None
    expires_at: datetime | None = None


async def enqueue_many(session: AsyncSession, rows: list[Queued]) -> None:
    """Bulk :func:`enqueue` (one executemany, same idempotent key rule) for ticks that queue thousands."""
    if not rows:
        return
    values = [_values(key=r.key, kind=r.kind, to=r.to, payload=r.payload, due_at=r.due_at,
                      priority=r.priority, ref=r.ref, branch_id=r.branch_id, expires_at=r.expires_at)
              for r in rows]
    stmt = _insert(session)(OutboxMessage).on_conflict_do_nothing(index_elements=["key"])
    # Core executemany on the session's connection: the ORM bulk path costs several times more per row.
    conn = await session.connection()
    await conn.execute(stmt, values)


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert


def _values(*, key: str, kind: str, to: Recipient, payload: dict[str, object], due_at: datetime,
            priority: int, ref: str | None, branch_id: int | None,
            expires_at: datetime | None) -> dict[str, object]:
    return {
        "key": key,
        "kind": kind,
        "ref": ref,
        "person_id": to.person_id,
        "identity_id": to.identity_id,
        "branch_id": branch_id,
        "channel": to.chat.channel,
        "chat_id": to.chat.chat_id,
        "bot": to.chat.bot,
        "payload": payload,
        "status": OutboxStatus.PENDING.value,
        "priority": priority,
        "due_at": due_at,
        "expires_at": expires_at,
        "attempts": 0,
        "created_at": due_at,
    }


async def recipient_for_person(session: AsyncSession, person_id: int) -> Recipient | None:
    """The person's preferred reachable identity (one channel only, never both)."""
    person = await session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        return None
    rows = (
        await session.execute(
            select(Identity).where(Identity.person_id == person_id, Identity.reachable.is_(True))
        )
    ).scalars().all()
    if not rows:
        return None
    rows = sorted(rows, key=lambda i: (i.channel != (person.preferred_channel or i.channel), i.id))
    ident = rows[0]
    return Recipient(ChatRef(ident.channel, ident.chat_id, ident.bot), person_id, ident.id)


async def enqueue_for_person(
    session: AsyncSession, person_id: int, *, key: str, kind: str, reply: Reply, due_at: datetime, **kw: object
) -> bool:
    to = await recipient_for_person(session, person_id)
    if to is None:
        return False
    return await enqueue(session, key=key, kind=kind, to=to, reply=reply, due_at=due_at, **kw)  # type: ignore[arg-type]


# --- sender verbs -------------------------------------------------------------------------------


def _due(now: datetime, lease: timedelta):  # type: ignore[no-untyped-def]
    """Rows a sender may take: pending and due, or ``sending`` whose ``lease`` expired (a dead worker's)."""
    return and_(
        OutboxMessage.due_at <= now,
        or_(
            OutboxMessage.status == OutboxStatus.PENDING.value,
            and_(OutboxMessage.status == OutboxStatus.SENDING.value, OutboxMessage.claimed_at < now - lease),
        ),
    )


async def due_lanes(
    session: AsyncSession, *, now: datetime, channels: list[str] | None = None, lease: timedelta = CLAIM_LEASE,
) -> list[tuple[str, str]]:
    """The (channel, bot) pairs that have rows to send now: the sender runs one lane per pair."""
    query = select(OutboxMessage.channel, OutboxMessage.bot).where(_due(now, lease))
    if channels:
        query = query.where(OutboxMessage.channel.in_(channels))
    rows = await session.execute(query.group_by(OutboxMessage.channel, OutboxMessage.bot))
    return sorted((str(c), str(b or "")) for c, b in rows.all())


async def claim_due(
    session: AsyncSession, *, now: datetime, worker: str, limit: int, channels: list[str] | None = None,
    lease: timedelta = CLAIM_LEASE, skip_chats: Collection[str] = (), lane: tuple[str, str] | None = None,
) -> list[OutboxMessage]:
    """Claim up to ``limit`` due rows (pending, or sending whose ``lease`` expired: a dead worker's).

    ``lane`` (channel, bot): only that bot's rows. The sender claims per lane, so a bot with a backlog (a 429
    storm, an outage) never fills the batch another bot's rows are waiting in. On PostgreSQL the rows are
    locked ``FOR UPDATE SKIP LOCKED``: several workers claiming at once each get different rows.
    ``skip_chats``: chat ids the caller cannot send to yet (their per-chat limit), left for a later claim so
    they do not fill the batch. By id only: the same id on another channel waits a second too, harmlessly."""
    query = select(OutboxMessage).where(_due(now, lease))
    if lane is not None:
        query = query.where(OutboxMessage.channel == lane[0], OutboxMessage.bot == lane[1])
    elif channels:
        query = query.where(OutboxMessage.channel.in_(channels))
    if skip_chats:
        query = query.where(OutboxMessage.chat_id.not_in(list(skip_chats)))
    query = query.order_by(OutboxMessage.priority, OutboxMessage.due_at, OutboxMessage.id).limit(limit)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list((await session.execute(query)).scalars().all())
    if not rows:
        return []
    ids = [r.id for r in rows]
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .values(status=OutboxStatus.SENDING.value, claimed_at=now, claimed_by=worker)
        .execution_options(synchronize_session=False)
    )
    for r in rows:
        r.status, r.claimed_at, r.claimed_by = OutboxStatus.SENDING.value, now, worker
    return rows


async def finish(
    session: AsyncSession,
    row_id: int,
    *,
    status: OutboxStatus,
    now: datetime,
    message_ids: list[str] | None = None,
    error: str | None = None,
    attempts: int | None = None,
) -> None:
    values: dict[str, object] = {"status": status.value, "last_error": (error or None) and error[:500]}
    if status == OutboxStatus.SENT:
        values.update(sent_at=now, sent_message_ids=message_ids or [])
    if attempts is not None:
        values["attempts"] = attempts
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values))


async def reschedule(
    session: AsyncSession, row_id: int, *, due_at: datetime, attempts: int, error: str | None
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status=OutboxStatus.PENDING.value, due_at=due_at, attempts=attempts,
                last_error=(error or None) and error[:500], claimed_at=None, claimed_by=None)
    )


async def release(session: AsyncSession, row_ids: Sequence[int], *, worker: str) -> None:
    """Give claimed rows back untouched (due time and attempts unchanged): the sender skipped them because
    their chat must wait for its per-chat limit, and sends other chats' rows meanwhile."""
    if not row_ids:
        return
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(row_ids)), OutboxMessage.status == OutboxStatus.SENDING.value,
               OutboxMessage.claimed_by == worker)
        .values(status=OutboxStatus.PENDING.value, claimed_at=None, claimed_by=None)
        .execution_options(synchronize_session=False)
    )


async def release_all_claims(session: AsyncSession) -> int:
    """Every row left ``sending`` goes back to pending at once. Only for a single process (``hocbac run``):
    at its start no other sender can be live, so those claims are its own from before a crash (kill -9)
    and waiting out their lease would only delay them. Web/worker deployments keep the lease."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING.value)
        .values(status=OutboxStatus.PENDING.value, claimed_at=None, claimed_by=None)
    )
    return int(result.rowcount or 0)


MISSED = (OutboxStatus.FAILED, OutboxStatus.SKIPPED)  # rows a resend offers again (never unreachable)


async def resend_missed(session: AsyncSession, ref: str, *, now: datetime) -> int:
    """Queue again, due now, every row of ``ref`` (e.g. a broadcast) that ended failed or skipped (expired);
    the old rows become ``resent`` so counts do not see them twice. The person asked for it now, so the new
    rows have no expiry. Each new row's key is derived from the
    old row's id, so pressing twice (or two workers racing) queues each one once. Returns rows added."""
    missed = [m.value for m in MISSED]
    # chat_id "": the person was erased since (erase_person blanks their rows); nothing to send them.
    query = select(OutboxMessage).where(OutboxMessage.ref == ref, OutboxMessage.status.in_(missed),
                                        OutboxMessage.chat_id != "")
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    # A row past retention has lost its text (outbox_purge): there is nothing left to send again.
    rows = [r for r in (await session.execute(query)).scalars().all() if r.purged_at is None]
    if not rows:
        return 0
    values = [{**_values(key=f"{r.key.split('#r')[0]}#r{r.id}", kind=r.kind,
                         to=Recipient(ChatRef(r.channel, r.chat_id, r.bot), r.person_id, r.identity_id),
                         payload=r.payload, due_at=now, priority=r.priority, ref=r.ref, branch_id=r.branch_id,
                         expires_at=None), "created_at": now}
              for r in rows]
    stmt = _insert(session)(OutboxMessage).on_conflict_do_nothing(index_elements=["key"])
    conn = await session.connection()
    added = 0
    for v in values:  # one by one: the row count of each says whether this call added it
        added += int((await conn.execute(stmt.values(**v))).rowcount or 0)
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([r.id for r in rows]), OutboxMessage.status.in_(missed))
        .values(status=OutboxStatus.RESENT.value)
        .execution_options(synchronize_session=False)
    )
    return added


async def cancel_ref(session: AsyncSession, ref: str) -> int:
    """Cancel every not-yet-sent row of a group (e.g. a broadcast). Sent rows stay recorded."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.ref == ref, OutboxMessage.status == OutboxStatus.PENDING.value)
        .values(status=OutboxStatus.CANCELLED.value)
    )
    return int(result.rowcount or 0)


async def counts_by_status(session: AsyncSession, ref: str) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.status, func.count()).where(OutboxMessage.ref == ref).group_by(OutboxMessage.status)
    )
    return {status: int(n) for status, n in rows.all()}


async def waiting_to_retry(session: AsyncSession, ref: str) -> int:
    """Rows of ``ref`` put back after a temporary error (an outage): not final, the sender retries them."""
    n = await session.execute(
        select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.ref == ref, OutboxMessage.status == OutboxStatus.PENDING.value,
            OutboxMessage.attempts > 0)
    )
    return int(n.scalar_one())


async def depth_by_lane(session: AsyncSession) -> dict[tuple[str, str], int]:
    """Rows pending or sending per (channel, bot): each bot's queue, for /metrics and /healthz."""
    rows = await session.execute(
        select(OutboxMessage.channel, OutboxMessage.bot, func.count())
        .where(OutboxMessage.status.in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]))
        .group_by(OutboxMessage.channel, OutboxMessage.bot)
    )
    return {(str(c), str(b or "")): int(n) for c, b, n in rows.all()}


async def depth_by_kind(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.kind, func.count())
        .where(OutboxMessage.status.in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]))
        .group_by(OutboxMessage.kind)
    )
    return {kind: int(n) for kind, n in rows.all()}


async def erase_person(
    session: AsyncSession,
    person_id: int,
    *,
    needles: list[str],
    media_keys: set[str],
    placeholder: str,
) -> tuple[int, int]:
    """Erasure (/xoadulieu): the rows to the person lose their payload and chat (unsent ones are cancelled);
    in rows to others, every line holding one of ``needles`` (their name, their texts) becomes
    ``placeholder`` and their photos are dropped. Returns (rows to them, rows to others changed)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.person_id == person_id,
               OutboxMessage.status.in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]))
        .values(status=OutboxStatus.CANCELLED.value)
    )
    blanked = await session.execute(
        update(OutboxMessage).where(OutboxMessage.person_id == person_id)
        .values(payload=Reply(text=placeholder).to_dict(), chat_id="", last_error=None)
    )
    # JSON text escapes non-ASCII (\u1ec5) by default: look for both spellings.
    probes = sorted({json.dumps(n)[1:-1] for n in needles} | set(needles) | media_keys)
    if not probes:
        return int(blanked.rowcount or 0), 0
    as_text = cast(OutboxMessage.payload, Text)
    rows = (
        await session.execute(
            select(OutboxMessage.id, OutboxMessage.payload).where(
                or_(OutboxMessage.person_id.is_(None), OutboxMessage.person_id != person_id),
                or_(*(as_text.like(f"%{_like_escape(p)}%", escape="\\") for p in probes)),
            )
        )
    ).all()
    changed = 0
    for row_id, payload in rows:
        new, hit = redact(payload or {}, needles, placeholder)
        new, dropped = drop_media(new, media_keys)
        if hit or dropped:
            changed += 1
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(payload=new))
    return int(blanked.rowcount or 0), changed


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
