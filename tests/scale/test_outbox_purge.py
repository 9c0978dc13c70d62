"""Outbox retention (bot/services/outbox_purge.py) on SQLite and PostgreSQL: old final rows lose their payload,
nothing else does, and every reader of the rows (dedupe keys, broadcast acknowledgements) sees the same."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from bot.features.broadcasts.figures import _not_acknowledged_last, _notice_figures
from bot.features.broadcasts.models import Broadcast, BroadcastAck, BroadcastStatus
from bot.messages import ChatRef, Reply
from bot.services import outbox, outbox_purge
from storage.db import Database
from storage.migrate import upgrade
from storage.models.org import Branch, Organization
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.models.people import Person

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
LONG = "Thông báo họp chi bộ tháng 6. " * 40  # a payload worth dropping


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request, tmp_path):  # type: ignore[no-untyped-def]
    name = ""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'purge.sqlite3'}"
    else:  # as tests/conftest.py's pg_db_url (an async fixture cannot be asked for by name from here)
        import asyncpg

        base = request.getfixturevalue("pg_url").replace("postgresql+asyncpg://", "postgresql://")
        name = f"hocbac_test_{uuid.uuid4().hex[:10]}"
        try:
            conn = await asyncpg.connect(base)
        except OSError as exc:
            pytest.skip(f"PostgreSQL not reachable: {exc}")
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        url = f"postgresql+asyncpg://{base.removeprefix('postgresql://').rpartition('/')[0]}/{name}"
    database = Database(url)
    await upgrade(database.engine)  # the migration's partial indexes, not create_all's
    yield database
    await database.dispose()
    if name:
        conn = await asyncpg.connect(base)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def _seed(db: Database, people: int = 6) -> None:
    async with db.session() as s:
        s.add(Organization(id=1, name="Đảng bộ xã An Bình", created_at=NOW))
        await s.flush()
        s.add(Branch(id=1, org_id=1, name="Chi bộ 1", created_at=NOW, group_bot=""))
        for i in range(1, people + 1):
            s.add(Person(id=i, display_name=f"Đảng viên {i}", locale="vi", created_at=NOW))
        await s.flush()


async def _put(db: Database, *, key: str, kind: str, person: int | None, due: datetime,
               status: OutboxStatus, ref: str | None = None) -> None:
    async with db.session() as s:
        to = outbox.Recipient(ChatRef("telegram", str(1000 + (person or 0)), ""), person, None)
        assert await outbox.enqueue(s, key=key, kind=kind, to=to, reply=Reply(text=LONG), due_at=due, ref=ref,
                                    branch_id=1)
        await s.execute(update(OutboxMessage).where(OutboxMessage.key == key).values(
            status=status.value, sent_at=due + timedelta(minutes=1) if status == OutboxStatus.SENT else None))


async def _rows(db: Database) -> dict[str, OutboxMessage]:
    async with db.session() as s:
        return {r.key: r for r in (await s.execute(select(OutboxMessage))).scalars()}


async def test_old_final_rows_lose_payload_and_nothing_else(db: Database) -> None:
    await _seed(db)
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=3)
    for status in (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.SKIPPED, OutboxStatus.UNREACHABLE):
        await _put(db, key=f"notice:{status.value}", kind="notice", person=1, due=old, status=status)
    # Never touched: not final, or final but recent, or cancelled/resent (their feature may look at them).
    await _put(db, key="pending:old", kind="notice", person=2, due=old, status=OutboxStatus.PENDING)
    await _put(db, key="sending:old", kind="notice", person=2, due=old, status=OutboxStatus.SENDING)
    await _put(db, key="cancelled:old", kind="notice", person=2, due=old, status=OutboxStatus.CANCELLED)
    await _put(db, key="notice:recent", kind="notice", person=3, due=recent, status=OutboxStatus.SENT)
    # Daily items go after a day; today's stays.
    await _put(db, key="daily:4:old", kind="daily", person=4, due=NOW - timedelta(days=2), status=OutboxStatus.SENT)
    await _put(db, key="daily:4:today", kind="daily", person=4, due=NOW - timedelta(hours=3),
               status=OutboxStatus.SENT)
    await _put(db, key="daily:5:pending", kind="daily", person=5, due=NOW - timedelta(days=2),
               status=OutboxStatus.PENDING)
    # A direct reply queued while the channel was busy: deleted once old and final.
    await _put(db, key="reply:old", kind=outbox.REPLY_KIND, person=6, due=old, status=OutboxStatus.SENT)
    before = await _rows(db)

    done = await outbox_purge.purge(db, now=NOW, retention_days=30)
    assert (done.emptied, done.deleted) == (5, 1)

    after = await _rows(db)
    emptied = {"notice:sent", "notice:failed", "notice:skipped", "notice:unreachable", "daily:4:old"}
    assert set(before) - set(after) == {"reply:old"}
    for key, row in after.items():
        was = before[key]
        if key in emptied:
            assert row.payload == {} and row.purged_at is not None, key
        else:
            assert row.payload == was.payload and row.payload["text"] == LONG and row.purged_at is None, key
        # What the readers need stays: the same row, key, status, person, ref and times.
        assert (row.id, row.status, row.person_id, row.ref, row.due_at, row.sent_at, row.chat_id) == (
            was.id, was.status, was.person_id, was.ref, was.due_at, was.sent_at, was.chat_id), key
    # A second run finds nothing: purged rows have left the partial indexes' work queue.
    again = await outbox_purge.purge(db, now=NOW, retention_days=30)
    assert again.done == 0
    # Retention 0 keeps everything.
    assert (await outbox_purge.purge(db, now=NOW + timedelta(days=400), retention_days=0)).done == 0


async def test_dedupe_keys_still_prevent_a_resend_after_purge(db: Database) -> None:
    await _seed(db)
    old = NOW - timedelta(days=40)
    await _put(db, key="meeting_notice:7:1", kind="meeting_notice", person=1, due=old, status=OutboxStatus.SENT)
    await _put(db, key="broadcast:9:2", kind="broadcast", person=2, due=old, status=OutboxStatus.FAILED,
               ref="broadcast:9")
    assert (await outbox_purge.purge(db, now=NOW, retention_days=30)).emptied == 2
    async with db.session() as s:
        to = outbox.Recipient(ChatRef("telegram", "1001", ""), 1, None)
        again = await outbox.enqueue(s, key="meeting_notice:7:1", kind="meeting_notice", to=to,
                                     reply=Reply(text="again"), due_at=NOW)
        # "Send again" of a broadcast has nothing left to send for a row past retention.
        resent = await outbox.resend_missed(s, "broadcast:9", now=NOW)
        n = (await s.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
    assert (again, resent, n) == (False, 0, 2)


async def test_broadcast_acknowledgement_figures_unchanged_after_purge(db: Database) -> None:
    await _seed(db)
    sent_at = NOW - timedelta(days=45)
    async with db.session() as s:
        s.add(Broadcast(id=9, author_person_id=1, org_id=1, branch_id=1, text="Họp chi bộ", ack_requested=True,
                        status=BroadcastStatus.DONE.value, created_at=sent_at, started_at=sent_at, total=5))
        await s.flush()
        s.add(BroadcastAck(broadcast_id=9, person_id=2, at=sent_at + timedelta(hours=1)))
    for pid, status in ((2, OutboxStatus.SENT), (3, OutboxStatus.SENT), (4, OutboxStatus.SENT),
                        (5, OutboxStatus.FAILED), (6, OutboxStatus.UNREACHABLE)):
        await _put(db, key=f"broadcast:9:{pid}", kind="broadcast", person=pid, due=sent_at, status=status,
                   ref="broadcast:9")

    async def figures() -> tuple[object, ...]:
        async with db.session() as s:
            return (await outbox.counts_by_status(s, "broadcast:9"),
                    await _notice_figures(s, None, 1, sent_at - timedelta(days=1), NOW),  # type: ignore[arg-type]
                    await _not_acknowledged_last(s, None, 1, NOW))  # type: ignore[arg-type]

    before = await figures()
    assert before[1]["notices_ack_sent"] == 3 and before[2] == {3, 4}  # the figures are not trivially empty
    assert (await outbox_purge.purge(db, now=NOW, retention_days=30)).emptied == 5
    assert await figures() == before


async def test_batches_are_bounded(db: Database) -> None:
    await _seed(db, people=1)
    old = NOW - timedelta(days=60)
    async with db.session() as s:
        rows = [outbox.Queued(key=f"daily:1:{i}", kind="daily",
                              to=outbox.Recipient(ChatRef("telegram", "1001", ""), 1, None),
                              payload=Reply(text=LONG).to_dict(), due_at=old + timedelta(minutes=i))
                for i in range(23)]
        await outbox.enqueue_many(s, rows)
        await s.execute(update(OutboxMessage).values(status=OutboxStatus.SENT.value))

    async def left() -> int:
        async with db.session() as s:
            return int((await s.execute(select(func.count()).select_from(OutboxMessage)
                                        .where(OutboxMessage.purged_at.is_(None)))).scalar_one())

    first = await outbox_purge.purge(db, now=NOW, retention_days=30, batch=5, max_batches=2)
    assert (first.emptied, first.batches) == (10, 2) and await left() == 13
    # The oldest go first (the work queue is ordered by due time).
    rows = await _rows(db)
    assert {k for k, r in rows.items() if r.purged_at is not None} == {f"daily:1:{i}" for i in range(10)}
    rest = await outbox_purge.purge(db, now=NOW, retention_days=30, batch=5, max_batches=10)
    assert (rest.emptied, rest.batches) == (13, 3) and await left() == 0


@pytest.mark.parametrize("which", ["bulk", "other"])
async def test_the_purge_reads_through_its_partial_index(db: Database, which: str) -> None:
    """The queries a tick runs use the work-queue indexes, not a scan of the whole outbox."""
    pick = outbox_purge.bulk_query if which == "bulk" else outbox_purge.query
    q = pick(NOW, 10, sqlite=db.is_sqlite)
    index = "ix_outbox_purge_bulk" if which == "bulk" else "ix_outbox_purge"
    async with db.session() as s:
        conn = await s.connection()
        compiled = q.compile(dialect=conn.dialect)
        if compiled.positiontup:
            params: tuple[object, ...] | dict[str, object] = tuple(
                compiled.construct_params()[k] for k in compiled.positiontup)
        else:
            params = compiled.construct_params()
        if not db.is_sqlite:
            await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a small table: ask what it can use
        plan = " ".join(str(r) for r in (await conn.exec_driver_sql(
            ("EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN ") + str(compiled), params)).all())
    assert re.search(rf"\b{index}\b", plan), plan
