"""Cross-process coordination: Redis person locks, leader failover, shared rate limit, SKIP LOCKED."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
import redis.asyncio as aioredis
from sqlalchemy import insert

from bot.scale.leader import PgAdvisoryLeadership, RedisLeaseLeadership, lead
from bot.scale.locks import RedisLocks
from bot.scale.ratelimit import RedisBotLimiter
from bot.services import outbox
from storage.db import Database
from storage.migrate import upgrade
from storage.models.outbox import OutboxMessage
from tests.scale.conftest import outbox_rows


@pytest.mark.redis
async def test_redis_lock_never_interleaves_one_persons_steps(redis_url, redis_prefix):
    """Two workers (own clients, own RedisLocks) run steps for the same people; a person's steps never
    overlap, while different people do run in parallel."""
    clients = [aioredis.from_url(redis_url) for _ in range(2)]
    workers = [RedisLocks(c, prefix=redis_prefix) for c in clients]
    inside: dict[str, int] = {}
    overlaps: list[str] = []
    max_parallel = 0
    log: list[tuple[str, int, str]] = []

    async def step(worker: RedisLocks, person: str, n: int) -> None:
        nonlocal max_parallel
        async with worker.lock(person):
            inside[person] = inside.get(person, 0) + 1
            if inside[person] > 1:
                overlaps.append(person)
            max_parallel = max(max_parallel, sum(inside.values()))
            log.append((person, n, "in"))
            await asyncio.sleep(random.random() * 0.004)
            log.append((person, n, "out"))
            inside[person] -= 1

    people = [f"telegram::{i}:{i}" for i in range(4)]
    jobs = [step(workers[n % 2], p, n) for n in range(30) for p in people]
    random.Random(8).shuffle(jobs)
    try:
        await asyncio.gather(*jobs)
    finally:
        for c in clients:
            await c.aclose()
    assert overlaps == []
    assert max_parallel > 1  # isolation is per person, not a global lock
    for p in people:  # every "in" of a person is followed by its own "out"
        seq = [(n, e) for who, n, e in log if who == p]
        assert all(seq[i][0] == seq[i + 1][0] and seq[i][1] == "in" for i in range(0, len(seq), 2))


@pytest.mark.redis
async def test_redis_lock_release_is_owner_only(redis_url, redis_prefix):
    client = aioredis.from_url(redis_url)
    try:
        locks = RedisLocks(client, prefix=redis_prefix, ttl_ms=150, wait_timeout=2)
        locks._keep = lambda *a: asyncio.sleep(3600)  # type: ignore[method-assign]  # a stalled owner
        other = RedisLocks(client, prefix=redis_prefix, ttl_ms=5000)
        async with locks.lock("k"):
            await asyncio.sleep(0.3)  # lease expired: the other worker may take it now
            async with other.lock("k"):
                assert await client.get(redis_prefix + "k") is not None
            assert await client.get(redis_prefix + "k") is None  # released by its owner
            await client.set(redis_prefix + "k", "someone-else")
        # The stalled owner's release must not delete a lock it no longer holds.
        assert await client.get(redis_prefix + "k") == b"someone-else"
    finally:
        await client.aclose()


@pytest.mark.redis
async def test_redis_lock_is_extended_while_held(redis_url, redis_prefix):
    client = aioredis.from_url(redis_url)
    try:
        locks = RedisLocks(client, prefix=redis_prefix, ttl_ms=150, wait_timeout=0.1)
        async with locks.lock("slow"):
            await asyncio.sleep(0.4)  # longer than the ttl: the keeper extends it
            assert await client.get(redis_prefix + "slow") is not None
    finally:
        await client.aclose()


async def _failover(make_a, make_b, kill_a) -> float:
    """Run two workers under ``lead``; kill A's leadership; return seconds until B is active."""
    active: list[str] = []
    became: dict[str, float] = {}
    stops = {"a": asyncio.Event(), "b": asyncio.Event()}

    def work_for(name: str):
        async def work(lost: asyncio.Event) -> None:
            became[name] = time.monotonic()
            active.append(name)
            try:
                await lost.wait()
            finally:
                active.remove(name)
        return work

    la, lb = make_a(), make_b()
    ta = asyncio.create_task(lead(la, work_for("a"), stops["a"], retry_every=0.1))
    await asyncio.sleep(0.3)
    tb = asyncio.create_task(lead(lb, work_for("b"), stops["b"], retry_every=0.1))
    await asyncio.sleep(0.5)
    assert active == ["a"]  # exactly one active, the standby waits
    killed = time.monotonic()
    await kill_a(la)
    for _ in range(100):
        if "b" in became:
            break
        await asyncio.sleep(0.05)
    assert "b" in became
    assert active.count("a") == 0 or len(active) <= 1
    stops["a"].set()
    stops["b"].set()
    await asyncio.gather(ta, tb)
    return became["b"] - killed


@pytest.mark.postgres
async def test_pg_advisory_leader_failover(pg_db_url):
    admin = await asyncpg.connect(pg_db_url.replace("postgresql+asyncpg://", "postgresql://"))

    async def kill(leader: PgAdvisoryLeadership) -> None:
        pid = leader.conn.get_server_pid()
        await admin.execute("SELECT pg_terminate_backend($1)", pid)  # what a dead host looks like

    try:
        took = await _failover(lambda: PgAdvisoryLeadership(pg_db_url, check_every=0.2),
                               lambda: PgAdvisoryLeadership(pg_db_url, check_every=0.2), kill)
    finally:
        await admin.close()
    assert took < 5


@pytest.mark.redis
async def test_redis_lease_leader_failover(redis_url, redis_prefix):
    clients = [aioredis.from_url(redis_url) for _ in range(2)]

    async def kill(leader: RedisLeaseLeadership) -> None:
        async def dead(*_a, **_k):  # the process is gone: no more renewals, no release
            raise ConnectionError

        async def gone() -> bool:  # ... and no new bid: A's loop could otherwise win the expired lease back
            return False

        leader._renew = dead
        leader._release = dead
        leader.try_acquire = gone  # type: ignore[method-assign]

    try:
        key = redis_prefix + "leader"
        took = await _failover(lambda: RedisLeaseLeadership(clients[0], key, lease_ms=600),
                               lambda: RedisLeaseLeadership(clients[1], key, lease_ms=600), kill)
    finally:
        for c in clients:
            await c.aclose()
    assert took < 5


@pytest.mark.redis
async def test_redis_rate_limit_is_shared_between_processes(redis_url, redis_prefix):
    """Two senders of one bot token together never exceed `rate` sends in any 1-second window."""
    clients = [aioredis.from_url(redis_url) for _ in range(2)]
    limiters = [RedisBotLimiter(c, "telegram:bot", 20, 1.0, 20, prefix=redis_prefix) for c in clients]
    times: list[float] = []

    async def send(i: int) -> None:
        await limiters[i % 2].wait_turn(f"chat{i}", False)
        times.append(time.monotonic())

    try:
        await asyncio.gather(*(send(i) for i in range(50)))
        # Per-chat spacing is shared too: the same chat from the other process waits ~1 s.
        await limiters[0].wait_turn("same-chat", False)
        t0 = time.monotonic()
        await limiters[1].wait_turn("same-chat", False)
        spaced = time.monotonic() - t0
    finally:
        for c in clients:
            await c.aclose()
    times.sort()
    worst = max(sum(1 for t in times if s <= t < s + 1.0) for s in times)
    assert worst <= 20
    assert spaced > 0.3


@pytest.mark.redis
async def test_redis_rate_limit_pause_is_shared(redis_url, redis_prefix):
    clients = [aioredis.from_url(redis_url) for _ in range(2)]
    a, b = (RedisBotLimiter(c, "telegram:bot", 30, 1.0, 20, prefix=redis_prefix) for c in clients)
    try:
        a.pause(0.6)  # a 429 seen by process A
        await asyncio.gather(*a._pending)
        t0 = time.monotonic()
        await b.wait_turn("x", False)
        waited = time.monotonic() - t0
    finally:
        for c in clients:
            await c.aclose()
    assert waited > 0.4


@pytest.mark.postgres
async def test_skip_locked_claims_never_overlap(pg_db_url):
    db = Database(pg_db_url)
    await upgrade(db.engine)
    now = datetime.now(UTC)
    async with db.session() as s:
        await s.execute(insert(OutboxMessage), outbox_rows(600, now - timedelta(seconds=1)))

    # Two claimers inside open transactions at the same moment get disjoint rows.
    hold = asyncio.Event()

    async def claim_and_hold(worker: str) -> list[int]:
        async with db.session() as s:
            got = await outbox.claim_due(s, now=now, worker=worker, limit=50)
            await hold.wait()
            return [r.id for r in got]

    first = asyncio.create_task(claim_and_hold("w1"))
    await asyncio.sleep(0.2)
    second = asyncio.create_task(claim_and_hold("w2"))
    await asyncio.sleep(0.2)
    hold.set()
    a, b = await first, await second
    assert len(a) == 50 and len(b) == 50 and not set(a) & set(b)

    # Many claimers racing until the table is drained: every row claimed exactly once.
    claimed: list[int] = []

    async def claimer(worker: str) -> None:
        while True:
            async with db.session() as s:
                got = await outbox.claim_due(s, now=now, worker=worker, limit=17)
            if not got:
                return
            claimed.extend(r.id for r in got)

    await asyncio.gather(*(claimer(f"c{i}") for i in range(6)))
    await db.dispose()
    assert len(claimed) == len(set(claimed)) == 500


@pytest.mark.redis
async def test_redis_lock_reads_what_the_previous_holder_wrote(redis_url, redis_prefix):
    """The keys read with the lock's SET NX (one round trip) are read only once the lock is ours: a waiter
    sees the value its previous holder wrote just before releasing, never the value from before."""
    clients = [aioredis.from_url(redis_url) for _ in range(2)]
    try:
        a, b = (RedisLocks(c, prefix=redis_prefix + "lock:", wait_timeout=5) for c in clients)
        state = redis_prefix + "state:p"
        await clients[0].set(state, "old")
        seen: list[object] = []

        async def waiter() -> None:
            async with b.lock("p", [state, redis_prefix + "missing"]) as read:
                seen.append(read)

        async with a.lock("p", [state]) as first:
            assert first == {state: b"old"}
            task = asyncio.create_task(waiter())
            await asyncio.sleep(0.1)  # the waiter is polling now
            assert seen == []
            await clients[0].set(state, "new")
        await asyncio.wait_for(task, 5)
        assert seen == [{state: b"new", redis_prefix + "missing": None}]
    finally:
        for c in clients:
            await c.aclose()
