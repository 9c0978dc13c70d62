"""The sender through outages, busy chats and crashes, against the fake Bot API.

- An outage (Telegram's edge answering nginx HTML "502 Bad Gateway" pages) of five minutes of clock time
  loses nothing: rows wait and retry, the secretary's progress says they wait, the final count comes after.
- A garbled 2xx answer is counted sent, not resent.
- One chat with a long queue does not hold up the others (head-of-line blocking).
- A single process that was killed mid-claim sends the claimed rows at once when it starts again.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.channels.telegram.errors import UndecodableReply, classify, sent_uncertain
from bot.delivery import RetryableError
from bot.devtools.harness import BotHarness
from bot.features.broadcasts.models import Broadcast
from bot.features.broadcasts.sending import BroadcastSending
from bot.messages import ChatRef, Reply
from bot.services import outbox
from bot.services.outbox import Recipient
from storage.models.outbox import OutboxMessage
from tests.conftest import seed_branch
from tests.secretary.helpers import seed_members


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_settings(request, settings):  # type: ignore[no-untyped-def]
    """The test's settings on SQLite, then on PostgreSQL (TEST_POSTGRES_URL)."""
    if request.param == "sqlite":
        return settings
    return settings.model_copy(update={"database_url": request.getfixturevalue("pg_db_url")})


async def _enqueue(app, chats: list[int], prefix: str = "t", per_chat: int = 1) -> None:
    async with app.db.session() as s:
        for chat in chats:
            for i in range(per_chat):
                await outbox.enqueue(s, key=f"{prefix}:{chat}:{i}", kind="notice",
                                     to=Recipient(ChatRef("telegram", str(chat))),
                                     reply=Reply(text=f"Tin {i + 1} tới {chat}"), due_at=app.clock.now())


async def _status_counts(app) -> dict[str, int]:
    async with app.db.session() as s:
        rows = await s.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
        return dict(rows.all())


# --- classify: an HTML error page, a garbled 2xx ------------------------------------------------------


async def test_html_502_page_is_retryable_and_a_garbled_2xx_is_not_resent(settings, clock, fake_tg):
    fake_tg.add_chat(74001)
    harness = BotHarness(settings, clock, run_sender=False)
    await harness.start()
    channel = harness.channel
    assert channel is not None
    # The edge's HTML page on a 502: aiogram cannot decode it; it is an outage, so retry.
    fake_tg.fail_next_html("sendMessage", status=502)
    try:
        await channel.deliver(ChatRef("telegram", "74001"), Reply(text="Xin chào"))
    except RetryableError as exc:
        assert exc.retry_after is None and "502" in exc.reason
    else:
        raise AssertionError("an HTML 502 page must raise RetryableError")
    assert fake_tg.stats["html_errors"] == 1 and fake_tg.messages_for(74001) == []
    # classify() itself: the same for an undecodable body on any non-2xx status.
    for status in (500, 502, 503, 504):
        err = UndecodableReply("Failed to decode object", ValueError("html"), "<html>", status)
        assert isinstance(classify(err), RetryableError) and not sent_uncertain(err)
    assert sent_uncertain(UndecodableReply("Failed to decode object", ValueError("x"), "<html>", 200))

    # A 2xx whose body is garbled: the message went out. The row is sent (uncertain), never sent again.
    fake_tg.garble_next("sendMessage")
    await _enqueue(harness.app, [74001], prefix="g")
    await harness.drain()
    clock.advance(timedelta(hours=1))
    await harness.drain()
    assert len(fake_tg.messages_for(74001)) == 1 and fake_tg.stats["garbled"] == 1
    async with harness.app.db.session() as s:
        row = (await s.execute(select(OutboxMessage).where(OutboxMessage.key == "g:74001:0"))).scalar_one()
    assert row.status == "sent" and "sent-uncertain" in (row.last_error or "")
    await harness.stop()


# --- a five-minute outage during a broadcast ----------------------------------------------------------


async def test_five_minute_outage_during_a_broadcast_loses_nothing(settings, clock, fake_tg):
    n = 30
    fake_tg.limits.global_per_sec = 1000  # the per-chat limits still apply
    harness = BotHarness(settings, clock, run_sender=False)  # the test drives the sender pass by pass
    await harness.start()
    branch = await seed_branch(harness, fake_tg)
    await seed_members(harness, fake_tg, branch.branch_id, 760_000, n)
    members = list(range(760_000, 760_000 + n))
    sec = branch.secretary
    await sec.send("/thongbao")
    await sec.expect("Gõ nội dung thông báo")
    await sec.send("Họp chi bộ tối thứ Sáu, 19:30.")
    await sec.expect("Gửi cho ai?")
    await sec.press("Toàn chi bộ")
    await sec.expect("Khi nào gửi?")
    await sec.press("Gửi ngay")
    await sec.expect("Thêm nút")
    await sec.press("Không")
    await sec.expect(f"Gửi cho {n + 1} đảng viên?")
    await sec.press("📣 Gửi")
    await sec.expect("Đang gửi thông báo", f"0/{n + 1}")  # queued; nothing sent yet

    fake_tg.down(502)  # Telegram's edge answers every call with its HTML "502 Bad Gateway" page
    outage_end = clock.now() + timedelta(minutes=5)
    waiting_texts: list[str] = []
    while clock.now() < outage_end:
        await harness.drain()
        await harness.tick(only=["broadcast_progress"])
        async with harness.app.db.session() as s:
            edits = (await s.execute(select(OutboxMessage).where(OutboxMessage.ref.like("bpedit:%"),
                                                                 OutboxMessage.status == "pending"))).scalars()
            waiting_texts += [e.payload["text"] for e in edits]
            b = (await s.execute(select(Broadcast))).scalars().one()
            assert b.status == "sending"  # never "done" while rows wait
        clock.advance(timedelta(seconds=20))
    assert all(not fake_tg.messages_for(uid) for uid in members)  # nothing got through the outage
    assert fake_tg.stats["html_errors"] > n  # and the sender kept trying
    counts = await _status_counts(harness.app)
    assert counts.get("failed", 0) == 0 and counts.get("sent", 0) == 0, counts
    # The progress the bot was trying to show the secretary said they wait, and gave no final count.
    assert any("đang chờ gửi lại" in t and f"{n + 1} tin đang chờ" in t for t in waiting_texts), waiting_texts
    assert not any("đã gửi xong" in t for t in waiting_texts)

    fake_tg.up()
    clock.advance(timedelta(minutes=6))  # past the longest backoff (5 min cap)
    await harness.drain()
    await harness.tick(only=["broadcast_progress"])
    await harness.drain()
    assert [len(fake_tg.messages_for(uid)) for uid in members] == [1] * n  # each exactly once
    final = [e for e in fake_tg.events_for(sec.id) if "đã gửi xong" in e.text]
    assert final and f"Đã gửi tới: {n + 1}" in final[-1].text and "• Lỗi: 0" in final[-1].text
    # The last thing the secretary sees is the final count, not a stale "waiting" edit delivered late.
    assert "đã gửi xong" in fake_tg.events_for(sec.id)[-1].text
    async with harness.app.db.session() as s:
        assert (await s.execute(select(Broadcast))).scalars().one().status == "done"
        assert await outbox.counts_by_status(s, "broadcast:1") == {"sent": n + 1}
    await harness.stop()


async def test_retries_end_only_after_the_retry_horizon(settings, clock, fake_tg):
    fake_tg.add_chat(73001)
    fake_tg.fail_next("sendMessage", status=500, times=10_000)
    # No per-chat spacing to wait for in real time between the tries of this one chat.
    settings = settings.model_copy(update={"send_chat_per_sec": 1000.0})
    harness = BotHarness(settings, clock, run_sender=False)
    await harness.start()
    await _enqueue(harness.app, [73001])
    start = clock.now()
    while clock.now() < start + timedelta(hours=settings.send_retry_hours) - timedelta(minutes=20):
        await harness.drain()
        clock.advance(timedelta(minutes=20))
        assert await _status_counts(harness.app) == {"pending": 1}  # still waiting, hours later
    clock.advance(timedelta(minutes=30))
    await harness.drain()
    async with harness.app.db.session() as s:
        row = (await s.execute(select(OutboxMessage))).scalar_one()
    assert row.status == "failed" and "gave up after" in (row.last_error or "")
    assert row.attempts > 20  # the backoff is capped (5 min), it does not stretch to hours
    await harness.stop()


async def test_failed_broadcast_rows_can_be_sent_again_once(db_settings, clock, fake_tg):
    settings = db_settings.model_copy(update={"send_retry_hours": 0.0})  # a temporary error fails at once
    fake_tg.limits.global_per_sec = 1000
    harness = BotHarness(settings, clock)
    await harness.start()
    branch = await seed_branch(harness, fake_tg)
    await seed_members(harness, fake_tg, branch.branch_id, 770_000, 6)
    members = list(range(770_000, 770_006))
    sec = branch.secretary
    await sec.send("/thongbao")
    await sec.expect("Gõ nội dung thông báo")
    await sec.send("Nộp đảng phí trước ngày 10.")
    await sec.expect("Gửi cho ai?")
    await sec.press("Toàn chi bộ")
    await sec.expect("Khi nào gửi?")
    await sec.press("Gửi ngay")
    await sec.expect("Thêm nút")
    await sec.press("Không")
    await sec.expect("Gửi cho 7 đảng viên?")

    def notices(uid: int) -> int:
        # The notice itself, not the secretary's progress lines that name it in quotes (“Nộp đảng phí…”).
        return sum("Nộp đảng phí" in m.text and "“Nộp đảng phí" not in m.text for m in fake_tg.messages_for(uid))

    preview = notices(sec.id)  # the secretary's preview shows the notice too
    expected = [1] * len(members) + [preview + 1]
    fake_tg.fail_next_html("sendMessage", status=502, times=2)  # two of the notices hit the outage
    await sec.press("📣 Gửi")
    final = await sec.expect("đã gửi xong", "• Lỗi: 2", timeout=15)
    assert "🔁 Gửi lại cho người chưa nhận" in final.buttons
    got = [notices(uid) for uid in [*members, sec.id]]
    assert sum(e - g for e, g in zip(expected, got, strict=True)) == 2, got  # two missed
    # Pressed twice (a double tap: the second press carries the same button), and the service called twice
    # at once afterwards: each missed member gets it once.
    data = dict(final.button_data)["🔁 Gửi lại cho người chưa nhận"]
    await sec.press("Gửi lại cho người chưa nhận", final)
    await sec.press_data(data, final)
    await sec.expect("Đang gửi lại thông báo cho 2 đảng viên chưa nhận được.")
    await sec.expect("đang được gửi lại, hoặc không còn ai chưa nhận")
    svc = harness.app.services.get(BroadcastSending)
    assert await asyncio.gather(svc.resend(branch.secretary_actor, 1), svc.resend(branch.secretary_actor, 1)) \
        == [0, 0]
    await fake_tg.wait_for(lambda: [notices(uid) for uid in [*members, sec.id]] == expected, timeout=10)
    # The progress message ends on the new final count (no "send again" button: nobody is left).
    progress = fake_tg.message(sec.id, int(final.message_id))
    assert progress is not None
    await fake_tg.wait_for(lambda: "Đã gửi tới: 7" in progress.text, timeout=10)
    assert "• Lỗi: 0" in progress.text and "Gửi lại" not in str(progress.reply_markup)
    async with harness.app.db.session() as s:
        assert await outbox.counts_by_status(s, "broadcast:1") == {"sent": 7, "resent": 2}
    await harness.stop()


# --- head-of-line blocking ----------------------------------------------------------------------------


async def test_a_busy_chat_does_not_hold_up_the_others(db_settings, clock, fake_tg):
    settings = db_settings
    busy, others = 75000, list(range(75001, 75041))
    for c in [busy, *others]:
        fake_tg.add_chat(c)
    harness = BotHarness(settings, clock, run_sender=False)
    await harness.start()
    await _enqueue(harness.app, [busy], prefix="busy", per_chat=40)  # queued first: the head of the line
    await _enqueue(harness.app, others, prefix="other")
    stop = asyncio.Event()
    task = asyncio.create_task(harness.app.sender.run(stop, idle_poll=0.05))
    try:
        await fake_tg.wait_for(lambda: all(fake_tg.messages_for(c) for c in others), timeout=20)
    finally:
        stop.set()
        await task
    arrival = [m.chat_id for m in fake_tg.sent]
    last_other = max(i for i, c in enumerate(arrival) if c != busy)
    busy_before = arrival[:last_other].count(busy)
    # Every other chat got its message while the busy chat was only at the start of its 40.
    assert busy_before <= 4, arrival
    assert all(len(fake_tg.messages_for(c)) == 1 for c in others)
    # The busy chat's messages keep their order, one per second at most: the fake saw no flood.
    got = [m.text for m in fake_tg.messages_for(busy)]
    assert got == [f"Tin {i + 1} tới {busy}" for i in range(len(got))]
    assert fake_tg.stats["429_chat"] == 0, fake_tg.stats
    # Skipped rows were given back, not lost: the rest of the busy chat's queue is still there.
    counts = await _status_counts(harness.app)
    assert counts["sent"] == len(fake_tg.sent) and counts.get("pending", 0) + counts["sent"] == 80, counts
    await harness.stop()


# --- kill -9 in single-process mode -------------------------------------------------------------------


async def test_single_process_sends_its_crashed_claims_at_once_on_restart(db_settings, clock, fake_tg):
    settings = db_settings
    chats = list(range(76001, 76011))
    for c in chats:
        fake_tg.add_chat(c)
    harness = BotHarness(settings, clock, run_sender=False)
    await harness.start()
    await _enqueue(harness.app, chats)
    # The sender claims the rows and the process dies (kill -9) before sending any of them.
    async with harness.app.db.session() as s:
        claimed = await outbox.claim_due(s, now=clock.now(), worker="host:4242", limit=100)
    assert len(claimed) == 10
    await harness.drain()
    assert fake_tg.sent == []  # claimed: this process leaves them alone while "running"
    await harness.restart()  # a new process on the same database; the clock has not moved
    await harness.drain()
    assert [len(fake_tg.messages_for(c)) for c in chats] == [1] * 10
    assert await _status_counts(harness.app) == {"sent": 10}
    await harness.restart()
    await harness.drain()
    assert len(fake_tg.sent) == 10  # sent rows are never sent again
    await harness.stop()
