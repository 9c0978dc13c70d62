"""The outbox and sender against the fake Bot API: restart, 429 storm, blocked users."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.devtools.harness import BotHarness
from bot.messages import ChatRef, Reply, UserRef
from bot.services import outbox
from bot.services.identity import IdentityService
from bot.services.outbox import CLAIM_LEASE, Recipient
from storage.models.outbox import OutboxMessage
from storage.models.people import Identity


async def _enqueue(app, chats: list[int], prefix: str = "t") -> None:
    async with app.db.session() as s:
        for chat in chats:
            await outbox.enqueue(s, key=f"{prefix}:{chat}", kind="notice",
                                 to=Recipient(ChatRef("telegram", str(chat))),
                                 reply=Reply(text=f"Thông báo số {chat} &amp; <b>đậm</b>"), due_at=app.clock.now())


async def _status_counts(app) -> dict[str, int]:
    async with app.db.session() as s:
        rows = await s.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
        return dict(rows.all())


async def test_enqueue_is_idempotent_and_nothing_lost_or_doubled_across_restart(settings, clock, fake_tg):
    chats = list(range(70001, 70061))
    for c in chats:
        fake_tg.add_chat(c)
    harness = BotHarness(settings, clock, run_sender=False)
    await harness.start()
    app = harness.app
    await _enqueue(app, chats)
    await _enqueue(app, chats)  # the same keys again: no new rows
    assert sum((await _status_counts(app)).values()) == 60
    # A sender claims a batch and "crashes" before sending it.
    async with app.db.session() as s:
        claimed = await outbox.claim_due(s, now=clock.now(), worker="crashed", limit=20)
    assert len(claimed) == 20
    await harness.drain()  # the live sender sends the 40 unclaimed rows
    assert len(fake_tg.sent) == 40
    await harness.restart()
    await harness.drain()
    assert len(fake_tg.sent) == 40  # claimed rows wait for their lease; sent rows are never resent
    clock.advance(CLAIM_LEASE + timedelta(seconds=1))
    await harness.drain()
    await harness.restart()
    await harness.drain()
    per_chat = {c: len(fake_tg.messages_for(c)) for c in chats}
    assert set(per_chat.values()) == {1}, per_chat  # none lost, none doubled
    assert await _status_counts(harness.app) == {"sent": 60}
    await harness.stop()


async def test_429_storm_is_honoured(settings, clock, fake_tg):
    chats = list(range(71001, 71081))
    for c in chats:
        fake_tg.add_chat(c)
    fake_tg.fail_next("sendMessage", status=429, description="Too Many Requests: retry after 1",
                      retry_after=1, times=3)
    harness = BotHarness(settings, clock, run_sender=False)
    await harness.start()
    await _enqueue(harness.app, chats)
    await harness.drain()
    assert {len(fake_tg.messages_for(c)) for c in chats} == {1}
    assert fake_tg.stats["429"] == 3  # only the injected ones: the sender never went past the limit
    assert harness.app.sender.stats["429"] == 3
    times = sorted(m.timestamp for m in fake_tg.sent)
    # No more than 30 messages in any one-second window.
    assert all(times[i + 30] - times[i] >= 1.0 for i in range(len(times) - 30))
    await harness.stop()


async def test_blocked_user_is_marked_unreachable(settings, clock, fake_tg):
    harness = BotHarness(settings, clock, run_sender=False)
    await harness.start()
    app = harness.app
    ids = app.services.get(IdentityService)
    fake_tg.add_chat(72001)
    actor = await ids.resolve(UserRef("telegram", "72001", "Bị chặn"), "72001")
    fake_tg.block(72001)
    async with app.db.session() as s:
        assert await outbox.enqueue_for_person(s, actor.person_id, key="n:1", kind="notice",
                                               reply=Reply(text="Xin chào"), due_at=clock.now())
    await harness.drain()
    assert await _status_counts(app) == {"unreachable": 1}
    async with app.db.session() as s:
        ident = await s.get(Identity, actor.identity_id)
        assert ident is not None and ident.reachable is False
        # Nothing more is queued for someone who blocked the bot.
        assert not await outbox.enqueue_for_person(s, actor.person_id, key="n:2", kind="notice",
                                                   reply=Reply(text="Xin chào"), due_at=clock.now())
    assert fake_tg.stats["403"] == 1
    await harness.stop()


async def test_transient_errors_retry_then_fail_with_reason(settings, clock, fake_tg):
    fake_tg.add_chat(73001)
    fake_tg.fail_next("sendMessage", status=500, times=100)
    harness = BotHarness(settings, clock, run_sender=False)
    await harness.start()
    await _enqueue(harness.app, [73001])
    for _ in range(settings.send_max_attempts + 1):
        await harness.drain()
        clock.advance(timedelta(minutes=15))
    async with harness.app.db.session() as s:
        row = (await s.execute(select(OutboxMessage))).scalar_one()
    assert row.status == "failed" and "gave up after" in (row.last_error or "")
    await harness.stop()
