"""The sender's per-bot lanes (issue #18): partitioned claims, a 429 storm or an outage of one bot that never
slows another, a revoked token (401) that stops one bot and tells the admins once, per-bot metrics.

Several bots without waiting for TELEGRAM_BOTS: extra channels "telegram:a" / "telegram:b", each on its own
fake Bot API server with its own token; rows are queued with bot="a" / "b" (the default bot is bot "")."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.channels.telegram.channel import TelegramChannel, make_bot
from bot.channels.telegram.errors import classify
from bot.channels.zalo.errors import classify as zalo_classify
from bot.compose import build
from bot.delivery import PermanentError, TokenRevokedError
from bot.devtools.emulator import FakeTelegram
from bot.devtools.harness import BotHarness
from bot.messages import ChatRef, Reply, UserRef
from bot.scale.metrics import Metrics, add_ops_routes, health
from bot.services import outbox
from bot.services.identity import IdentityService
from bot.services.outbox import Recipient
from storage.models.outbox import OutboxMessage
from tests.conftest import ADMIN_TG_ID

TOKENS = {"a": "111111:bot-a-token-for-the-fake", "b": "222222:bot-b-token-for-the-fake"}
LANE_A, LANE_B = ("telegram", "a"), ("telegram", "b")


@pytest.fixture(params=["sqlite", "postgres"])
def lane_settings(request, settings):
    if request.param == "postgres":
        return settings.model_copy(update={"database_url": request.getfixturevalue("pg_db_url")})
    return settings


@pytest.fixture
async def bots():
    fakes = {key: await FakeTelegram(bot_username=f"hocbac_{key}_bot").start() for key in TOKENS}
    yield fakes
    for fake in fakes.values():
        await fake.stop()


def bot_channels(fakes: dict[str, FakeTelegram]) -> dict[str, TelegramChannel]:
    return {f"telegram:{k}": TelegramChannel(make_bot(TOKENS[k], f.base_url)) for k, f in fakes.items()}


class LanesHarness(BotHarness):
    """The one-process bot with two more Telegram bots, each on its own fake server."""

    def __init__(self, settings, clock, fakes: dict[str, FakeTelegram]) -> None:
        super().__init__(settings, clock, run_sender=False)
        self.fakes = fakes
        self.extra: dict[str, TelegramChannel] = {}

    def extra_channels(self) -> dict[str, Any]:
        self.extra = bot_channels(self.fakes)
        return self.extra

    async def stop(self) -> None:
        await super().stop()
        for channel in self.extra.values():
            await channel.bot.session.close()


async def enqueue(app, bot: str, chats: list[int], *, prefix: str = "n", priority: int = 0,
                  due_before: float = 0.0) -> None:
    async with app.db.session() as s:
        for chat in chats:
            await outbox.enqueue(s, key=f"{prefix}:{bot}:{chat}", kind="notice",
                                 to=Recipient(ChatRef("telegram", str(chat), bot)),
                                 reply=Reply(text=f"Thông báo {bot or 'chính'} số {chat}"),
                                 due_at=app.clock.now() - timedelta(seconds=due_before), priority=priority)


async def statuses(app, bot: str | None = None) -> dict[str, int]:
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    if bot is not None:
        query = query.where(OutboxMessage.bot == bot)
    async with app.db.session() as s:
        return dict((await s.execute(query)).all())


def chats(fake: FakeTelegram, ids: list[int]) -> list[int]:
    for c in ids:
        fake.add_chat(c)
    return ids


def received(fake: FakeTelegram, ids: list[int]) -> dict[int, int]:
    return {c: len(fake.messages_for(c)) for c in ids}


async def wait_until(predicate, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


# --- the typed error -------------------------------------------------------------------------------------


def test_a_refused_token_is_its_own_permanent_error():
    from aiogram.exceptions import TelegramForbiddenError, TelegramUnauthorizedError
    from aiogram.methods import SendMessage

    method = SendMessage(chat_id=1, text="x")
    revoked = classify(TelegramUnauthorizedError(method=method, message="Unauthorized"))
    assert isinstance(revoked, TokenRevokedError) and isinstance(revoked, PermanentError)
    assert not revoked.unreachable  # never the member's fault
    blocked = classify(TelegramForbiddenError(method=method, message="Forbidden: bot was blocked by the user"))
    assert not isinstance(blocked, TokenRevokedError) and blocked.unreachable
    zalo = zalo_classify("sendMessage", 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    assert isinstance(zalo, TokenRevokedError) and not zalo.unreachable and zalo.error_code == 401  # type: ignore[attr-defined]
    assert not isinstance(zalo_classify("sendMessage", 400, {"ok": False, "error_code": 400,
                                                             "description": "Bad request"}), TokenRevokedError)


# --- partitioned claims ----------------------------------------------------------------------------------


async def test_claims_are_partitioned_by_bot(lane_settings, clock, bots, fake_tg):
    harness = await LanesHarness(lane_settings, clock, bots).start()
    try:
        app = harness.app
        for bot in ("", "a", "b"):
            await enqueue(app, bot, list(range(100, 105)))
        async with app.db.session() as s:
            lanes = await outbox.due_lanes(s, now=clock.now(), channels=["telegram"])
            got_a = await outbox.claim_due(s, now=clock.now(), worker="w", limit=100, lane=LANE_A)
            got_b = await outbox.claim_due(s, now=clock.now(), worker="w", limit=3, lane=LANE_B)
            depth = await outbox.depth_by_lane(s)
        assert lanes == [("telegram", ""), LANE_A, LANE_B]
        assert sorted(r.bot for r in got_a) == ["a"] * 5
        assert sorted(r.bot for r in got_b) == ["b"] * 3
        assert depth == {("telegram", ""): 5, LANE_A: 5, LANE_B: 5}  # claimed rows are still queued
        async with app.db.session() as s:  # the claimed rows are no longer due; the rest still are
            left = await outbox.claim_due(s, now=clock.now(), worker="w2", limit=100)
        assert sorted(r.bot for r in left) == [""] * 5 + ["b"] * 2
    finally:
        await harness.stop()


@pytest.mark.postgres
@pytest.mark.redis
async def test_two_workers_send_every_row_once(settings, clock, bots, fake_tg, pg_db_url, redis_url, redis_prefix):
    """Two `hocbac worker` senders (each its own engine and connections, limits shared in Redis) drain three
    bots' rows at once: every row is claimed by one of them and sent exactly once."""
    s = settings.model_copy(update={"database_url": pg_db_url, "redis_url": redis_url, "redis_prefix": redis_prefix,
                                    "send_in_flight": 2})
    workers, extra = [], []
    stop = asyncio.Event()
    try:
        for name in ("w1", "w2"):
            channels = bot_channels(bots)
            extra.extend(channels.values())
            composed = await build(s, mode="worker", clock=clock, extra_channels=channels)
            assert composed.sender is not None
            composed.sender.worker_id = name
            workers.append(composed)
        ids = list(range(30000, 30090))
        for fake in (fake_tg, *bots.values()):
            chats(fake, ids)
        for bot in ("", "a", "b"):
            await enqueue(workers[0].app, bot, ids)
        tasks = [asyncio.create_task(w.sender.run(stop, idle_poll=0.02)) for w in workers]

        async def all_sent() -> bool:
            return await statuses(workers[0].app) == {"sent": 270}

        await wait_until(all_sent, timeout=60)
        stop.set()
        await asyncio.gather(*tasks)
        for fake in (fake_tg, *bots.values()):
            assert set(received(fake, ids).values()) == {1}  # none lost, none twice
        async with workers[0].app.db.session() as session:
            by = dict((await session.execute(select(OutboxMessage.claimed_by, func.count())
                                             .group_by(OutboxMessage.claimed_by))).all())
        assert set(by) == {"w1", "w2"} and sum(by.values()) == 270  # both sent a share
    finally:
        stop.set()
        for composed in workers:
            await composed.close()
        for channel in extra:
            await channel.bot.session.close()


# --- one bot's trouble never slows another --------------------------------------------------------------


async def test_a_429_storm_on_one_bot_leaves_the_other_at_its_rate(lane_settings, clock, bots, fake_tg):
    fake_a, fake_b = bots["a"], bots["b"]
    # Bot A answers 429 retry_after=5 again and again (two rounds of pauses for its rows).
    fake_a.fail_next("sendMessage", status=429, description="Too Many Requests: retry after 5", retry_after=5,
                     times=14)
    harness = await LanesHarness(lane_settings, clock, bots).start()
    stop = asyncio.Event()
    try:
        app = harness.app
        ids_a, ids_b = chats(fake_a, list(range(41000, 41010))), chats(fake_b, list(range(42000, 42060)))
        # A's rows come first (older, more urgent): a sender without lanes would claim them with B's.
        await enqueue(app, "a", ids_a, priority=-1, due_before=60)
        await enqueue(app, "b", ids_b)
        run = asyncio.create_task(app.sender.run(stop, idle_poll=0.05))

        async def done() -> bool:
            return await statuses(app) == {"sent": 70}

        await wait_until(done, timeout=60)
        stop.set()
        await run
        assert set(received(fake_a, ids_a).values()) == {1} and set(received(fake_b, ids_b).values()) == {1}
        first_429 = min(t for t, e in zip(fake_a.error_times, fake_a.errors, strict=True) if e[1] == 429)
        last_b = max(m.timestamp for m in fake_b.sent)
        first_a = min(m.timestamp for m in fake_a.sent)
        # All of B went out while A was still waiting out its first pause; A kept quiet through it.
        assert last_b < first_429 + 5 <= first_a + 0.3
        lanes = app.sender.lanes
        # Each lane saw only its own server's 429s (B's, if any, from its own flood limit on a loaded machine).
        assert lanes[LANE_A].stats["429"] == fake_a.stats["429"] >= 10
        assert lanes[LANE_B].stats["429"] == fake_b.stats["429"]
        _ok, report = await health(app)
        assert report["bots"]["telegram:a"]["rate_limited"] == fake_a.stats["429"]
        assert report["bots"]["telegram:a"]["sent"] == 10 and report["bots"]["telegram:b"]["sent"] == 60
        assert report["bots"]["telegram:b"]["sent_per_minute"] == 60.0  # the last minute's sends
        assert {report["bots"][k]["queue"] for k in ("telegram:a", "telegram:b")} == {0}
    finally:
        stop.set()
        await harness.stop()


async def test_an_outage_of_one_bot_leaves_the_other_sending(lane_settings, clock, bots, fake_tg):
    fake_a, fake_b = bots["a"], bots["b"]
    fake_a.down(502)  # the edge's HTML "502 Bad Gateway" page for every call of bot A
    harness = await LanesHarness(lane_settings, clock, bots).start()
    try:
        app = harness.app
        ids_a, ids_b = chats(fake_a, list(range(43000, 43012))), chats(fake_b, list(range(44000, 44040)))
        await enqueue(app, "a", ids_a, priority=-1, due_before=60)
        await enqueue(app, "b", ids_b)
        await app.sender.drain()
        assert set(received(fake_b, ids_b).values()) == {1}
        assert fake_a.sent == [] and fake_a.stats["html_errors"] >= 12
        assert await statuses(app, "a") == {"pending": 12}  # waiting to retry, not failed, not lost
        async with app.db.session() as s:
            attempts = (await s.execute(select(OutboxMessage.attempts).where(OutboxMessage.bot == "a"))).scalars()
            assert set(attempts) == {1}
        assert app.sender.lanes[LANE_B].stats["transient"] == 0
        fake_a.up()
        clock.advance(timedelta(minutes=2))  # past the retry's backoff
        await app.sender.drain()
        assert set(received(fake_a, ids_a).values()) == {1} and set(received(fake_b, ids_b).values()) == {1}
        assert await statuses(app) == {"sent": 52}
    finally:
        await harness.stop()


# --- a revoked token ------------------------------------------------------------------------------------


async def _scrape(app) -> tuple[str, dict[str, Any]]:
    """/metrics and /healthz of this process, over HTTP (loopback, no token: allowed)."""
    ops = web.Application()
    add_ops_routes(ops.router, app, Metrics())
    runner = web.AppRunner(ops, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/metrics") as resp:
                assert resp.status == 200
                metrics = await resp.text()
            async with http.get(base + "/healthz") as resp:
                assert resp.status == 200  # a stopped bot does not fail the process's check
                healthz = await resp.json()
    finally:
        await runner.cleanup()
    return metrics, healthz


def _sample(metrics: str, name: str, **labels: str) -> float | None:
    for line in metrics.splitlines():
        m = re.match(rf"{name}{{(.*)}} (\S+)$", line)
        if m and all(f'{k}="{v}"' in m.group(1) for k, v in labels.items()):
            return float(m.group(2))
    return None


async def test_a_revoked_token_stops_that_bot_alone_and_the_admins_hear_it_once(lane_settings, clock, bots,
                                                                                 fake_tg):
    fake_a, fake_b = bots["a"], bots["b"]
    fake_a.revoke(TOKENS["a"])
    harness = await LanesHarness(lane_settings, clock, bots).start()
    try:
        app = harness.app
        fake_tg.add_chat(ADMIN_TG_ID)
        # The system admin is known to the default bot: the warning goes there.
        await app.services.get(IdentityService).resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"),
                                                        str(ADMIN_TG_ID))
        ids_a, ids_b = chats(fake_a, list(range(45000, 45012))), chats(fake_b, list(range(46000, 46012)))
        await enqueue(app, "a", ids_a, priority=-1, due_before=60)
        await enqueue(app, "b", ids_b)
        await app.sender.drain()
        assert set(received(fake_b, ids_b).values()) == {1}  # B goes on
        assert fake_a.sent == []
        assert await statuses(app, "a") == {"pending": 12}  # kept: not failed, not lost
        async with app.db.session() as s:
            attempts = (await s.execute(select(OutboxMessage.attempts).where(OutboxMessage.bot == "a"))).scalars()
            assert set(attempts) == {0}
        told = fake_tg.messages_for(ADMIN_TG_ID)
        assert len(told) == 1 and "telegram:a" in told[0].text and "đã ngừng gửi" in told[0].text
        lane = app.sender.lanes[LANE_A]
        assert lane.revoked is not None and app.sender.lanes[LANE_B].revoked is None
        refused = fake_a.stats["401"]
        assert 1 <= refused <= app.settings.send_in_flight  # only the requests already under way

        # More rows for A later: kept, A is not asked again, the admins are not told again.
        await enqueue(app, "a", chats(fake_a, [45100, 45101]), prefix="later")
        await enqueue(app, "b", chats(fake_b, [46100]), prefix="later")
        await app.sender.drain()
        assert fake_a.stats["401"] == refused and len(fake_tg.messages_for(ADMIN_TG_ID)) == 1
        assert len(fake_b.messages_for(46100)) == 1

        metrics, healthz = await _scrape(app)
        assert _sample(metrics, "hocbac_sender_bot_revoked", channel="telegram", bot="a") == 1.0
        assert _sample(metrics, "hocbac_sender_bot_revoked", channel="telegram", bot="b") == 0.0
        assert _sample(metrics, "hocbac_outbox_bot_queue", channel="telegram", bot="a") == 14.0
        assert _sample(metrics, "hocbac_sender_bot_total", channel="telegram", bot="b", outcome="sent") == 13.0
        assert healthz["bots"]["telegram:a"]["state"] == "revoked" and healthz["bots"]["telegram:a"]["queue"] == 14
        assert healthz["bots"]["telegram:b"]["state"] == "sending" and healthz["bots"]["telegram:b"]["sent"] == 13

        # A restart with the token still revoked: the warning is not repeated (one outbox key per bot and day).
        await harness.restart()
        await harness.app.sender.drain()
        assert len(fake_tg.messages_for(ADMIN_TG_ID)) == 1 and fake_a.sent == []

        # The token is fixed and the bot restarted: A resumes where it stopped, each row once.
        fake_a.unrevoke(TOKENS["a"])
        await harness.restart()
        await harness.app.sender.drain()
        assert set(received(fake_a, [*ids_a, 45100, 45101]).values()) == {1}
        assert set(received(fake_b, [*ids_b, 46100]).values()) == {1}
        assert await statuses(harness.app) == {"sent": 28}  # 14 + 13 + the admins' one warning
    finally:
        await harness.stop()


# --- `hocbac worker`: who sends ---------------------------------------------------------------------------


class NeverLeader:
    """A worker that stays standby all along (another one holds the leadership)."""

    check_every = 0.1

    async def try_acquire(self) -> bool:
        return False

    async def still_leader(self) -> bool:
        return False

    async def release(self) -> None:
        return None


async def _standby_worker_sends(settings, fake_tg) -> tuple[int, set[str]]:
    """Rows queued, then a standby worker (never elected) runs for a while: (messages sent, ticks run)."""
    from bot.app import App
    from bot.runtime import run_worker
    from storage.models.system import TickRun

    app = await App.create(settings)
    try:
        await enqueue(app, "", chats(fake_tg, [47000, 47001, 47002]))
    finally:
        await app.close()
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(settings, stop=stop, leadership=NeverLeader()))
    try:
        with contextlib.suppress(TimeoutError):  # sent all three, or had four seconds to
            await fake_tg.wait_for(lambda: len(fake_tg.sent) >= 3, timeout=4)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)
    app = await App.create(settings, migrate=False)
    try:
        async with app.db.session() as s:
            ticks = {r[0] for r in (await s.execute(select(TickRun.name))).all()}
    finally:
        await app.close()
    return len(fake_tg.sent), ticks


@pytest.mark.postgres
@pytest.mark.redis
async def test_every_worker_sends_on_postgres_with_redis_while_only_the_leader_ticks(settings, fake_tg, pg_db_url,
                                                                                    redis_url, redis_prefix):
    s = settings.model_copy(update={"database_url": pg_db_url, "redis_url": redis_url, "redis_prefix": redis_prefix,
                                    "worker_idle_poll": 0.05})
    sent, ticks = await _standby_worker_sends(s, fake_tg)
    assert sent == 3 and ticks == set()


async def test_on_sqlite_only_the_elected_worker_sends(settings, fake_tg):
    sent, ticks = await _standby_worker_sends(settings.model_copy(update={"worker_idle_poll": 0.05}), fake_tg)
    assert sent == 0 and ticks == set()  # one writer: the standby neither sends nor ticks
