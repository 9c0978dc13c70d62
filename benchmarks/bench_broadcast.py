"""Broadcast to 10,000 members against the fake Bot API at Telegram's 30 msg/s.

    python benchmarks/bench_broadcast.py [--members 10000]

Reports the time against the 333 s floor (10,000 / 30), lost and duplicated deliveries, 429s, and the
progress edits of the secretary's one message (count, shortest gap, most in any 1 s window).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from bot.clock import FakeClock
from bot.config import Settings
from bot.devtools.emulator import FakeTelegram
from bot.devtools.harness import TEST_TOKEN, BotHarness
from bot.features.broadcasts.composing import BroadcastComposing
from bot.features.broadcasts.models import Broadcast
from bot.features.broadcasts.sending import BroadcastSending
from bot.messages import ChatRef, Reply, UserRef
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from storage.models.people import Identity, Membership, Person

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ADMIN, SECRETARY, FIRST = 9001, 9101, 1_000_000


async def main(members: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeTelegram() as fake:
            settings = Settings(
                _env_file=None,
                bot_token=TEST_TOKEN,
                telegram_api_url=fake.base_url,  # type: ignore[call-arg]
                database_url=f"sqlite+aiosqlite:///{tmp}/bench.sqlite3",
                admin_ids=[f"telegram:{ADMIN}"],
                media_dir=Path(tmp) / "media",
            )
            clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=TZ), TZ)
            bot = BotHarness(settings, clock)
            await bot.start()
            try:
                await run(bot, fake, members)
            finally:
                await bot.stop()


async def run(bot: BotHarness, fake: FakeTelegram, members: int) -> None:
    assert bot.app is not None and bot.channel is not None
    ids, org_svc = bot.app.services.get(IdentityService), bot.app.services.get(OrgService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN), "Quản trị"), str(ADMIN))
    org = await org_svc.create_org(admin, "Đảng bộ thử tải")
    branch = await org_svc.create_branch(admin, org.id, "Chi bộ 10.000")
    invite = await org_svc.create_code(admin, kind="secretary", branch_id=branch.id)
    fake.user(SECRETARY, "Bí thư")
    sec = await ids.resolve(UserRef("telegram", str(SECRETARY), "Bí thư"), str(SECRETARY))
    await org_svc.redeem(sec, invite.code)
    sec = await ids.actor_for_person(sec.person_id)
    assert sec is not None
    t0 = time.perf_counter()
    now = bot.app.clock.now()
    async with bot.app.db.session() as s:  # bulk seeding: only the sending is measured
        people = [Person(display_name=f"Đảng viên {i}") for i in range(members)]
        s.add_all(people)
        await s.flush()
        for i, p in enumerate(people):
            uid = FIRST + i
            fake.user(uid, f"ĐV {i}")
            s.add(Identity(person_id=p.id, channel="telegram", external_id=str(uid), chat_id=str(uid)))
            s.add(
                Membership(
                    person_id=p.id, branch_id=branch.id, status="active", requested_at=now, decided_at=now
                )
            )
    print(f"seeded {members} members in {time.perf_counter() - t0:.1f}s", flush=True)
    print("ceiling: 30 msg/s overall, 1 msg/s per private chat (bursts of 4), as the fake Bot API enforces",
          flush=True)
    chat = ChatRef("telegram", str(SECRETARY))
    first = await bot.channel.deliver(chat, Reply(text="📣 …"))
    svc = bot.app.services.get(BroadcastComposing)
    b, count = await svc.create_draft(sec, branch_id=branch.id, text="Thông báo thử tải: họp chi bộ 19:30.")
    sent_before = fake.stats["sent"]
    t0 = time.perf_counter()
    await bot.app.services.get(BroadcastSending).confirm(
        sec, b.id, progress_chat=chat, progress_message_id=first.message_ids[0], can_edit=True
    )
    bot.app.sender.wake()  # type: ignore[union-attr]
    last = -1
    while True:
        await asyncio.sleep(2)
        async with bot.app.db.session() as s:
            row = await s.get(Broadcast, b.id)
            status = row.status if row else "?"
        done = fake.stats["sent"] - sent_before
        if done // 1000 != last // 1000:
            print(f"  {time.perf_counter() - t0:6.1f}s: {done} delivered", flush=True)
            last = done
        if status == "done":
            break
    # Wait for the final progress edit to land.
    rec = fake.message(SECRETARY, int(first.message_ids[0]))
    for _ in range(50):
        if rec is not None and "đã gửi xong" in rec.visible:
            break
        await asyncio.sleep(0.2)
    elapsed = time.perf_counter() - t0
    per_user = [len(fake.messages_for(FIRST + i)) for i in range(members)]
    lost = sum(1 for n in per_user if n == 0)
    dup = sum(n - 1 for n in per_user if n > 1)
    edits = [e["timestamp"] for e in (rec.edits if rec else [])][1:]
    stamps = sorted(edits + ([rec.timestamp] if rec else []))
    gaps = [b2 - a for a, b2 in itertools.pairwise(stamps)]
    window = max((sum(1 for t in stamps if s0 <= t < s0 + 1.0) for s0 in stamps), default=0)
    floor = count / 30
    print(f"recipients: {count}; time {elapsed:.1f}s vs floor {floor:.1f}s ({elapsed / floor:.2f}x)")
    print(f"lost: {lost}; duplicated: {dup}; 429s seen by the sender: {bot.app.sender.stats['429']}")  # type: ignore[union-attr]
    print(
        f"progress edits: {len(rec.edits) if rec else 0}; shortest gap {min(gaps, default=0):.2f}s; "
        f"most in any 1 s window: {window}; final text: {rec.visible.splitlines()[0] if rec else '?'}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    asyncio.run(main(parser.parse_args().members))
