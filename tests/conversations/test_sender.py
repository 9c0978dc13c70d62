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
    async with app.db.session() as s:  # another sender (web/worker mode) leaves a live claim alone...
        assert await outbox.claim_due(s, now=clock.now(), worker="other", limit=100) == []
        # ...until its lease ran out (a dead worker's)
        later = await outbox.claim_due(s, now=clock.now() + CLAIM_LEASE + timedelta(seconds=1), worker="other",
                                       limit=100)
        assert len(later) == 20
        await s.rollback()
    await harness.restart()  # a single process takes back the claims of the one before it at once
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
    fake_tg.fail_next("sendMessage", status=429, description="Too Many Requests: retry after 2",
                      retry_after=2, times=3)
    harness = BotHarness(settings, clock, run_sender=False)
    await harness.start()
    await _enqueue(harness.app, chats)
    await harness.drain()
    assert {len(fake_tg.messages_for(c)) for c in chats} == {1}  # all delivered, none twice
    assert harness.app.sender.stats["429"] >= 3
    first_429 = min(t for t, e in zip(fake_tg.error_times, fake_tg.errors, strict=True) if e[1] == 429)
    # Requests already on the wire may land just after the 429; after that the bot keeps quiet for
    # retry_after seconds.
    early = [m for m in fake_tg.sent if first_429 + 0.3 < m.timestamp < first_429 + 2.0]
    assert early == []
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


# Temporary errors retrying until SEND_RETRY_HOURS, then failing with the reason:
# tests/conversations/test_sender_outages.py::test_retries_end_only_after_the_retry_horizon.
