"""Hostile input through the webhook: 10,000 seeded updates (tests/scale/fuzzgen.py) and the 125 shared
real-shaped updates (webhook and polling). No 5xx, no ERROR log, no message the fake rejects, and the
database invariants unchanged."""

from __future__ import annotations

import asyncio
import json
import logging
import os

import aiohttp
import pytest
from sqlalchemy import func, select, text

from bot.devtools.emulator.telegram_state import TINY_PNG
from bot.messages import UserRef
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from storage.models.org import Branch, Organization
from storage.models.people import Membership
from tests.conftest import ADMIN_TG_ID, require_or_skip, shared_dir
from tests.scale.conftest import SECRET, WebNode, headers, start_node
from tests.scale.fuzzgen import FuzzGen

FUZZ_N = int(os.environ.get("HOCBAC_FUZZ_N", "10000"))
FUZZ_SEED = int(os.environ.get("HOCBAC_FUZZ_SEED", "20260302"))
FUZZ_POSTERS = int(os.environ.get("HOCBAC_FUZZ_POSTERS", "16"))  # concurrent HTTP clients


async def seed(node: WebNode) -> None:
    ids = node.app.services.get(IdentityService)
    org = node.app.services.get(OrgService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    o = await org.create_org(admin, "Đảng bộ xã An Bình")
    b = await org.create_branch(admin, o.id, "Chi bộ thôn 1")
    sec = await ids.resolve(UserRef("telegram", "9101", "Bí thư"), "9101")
    await org.redeem(sec, (await org.create_code(admin, kind="secretary", branch_id=b.id)).code)


async def invariants(node: WebNode) -> dict[str, int]:
    """Counts that hostile input must not change, and orphan counts that must stay zero."""
    async with node.app.db.session() as s:
        def count(model, *where):  # type: ignore[no-untyped-def]
            return s.execute(select(func.count()).select_from(model).where(*where))

        out = {
            "orgs": (await count(Organization)).scalar_one(),
            "branches": (await count(Branch)).scalar_one(),
            "active_memberships": (await count(Membership, Membership.status == "active")).scalar_one(),
        }
        orphans = {
            "identity_without_person": "SELECT count(*) FROM identity i LEFT JOIN person p "
                                       "ON p.id = i.person_id WHERE p.id IS NULL",
            "membership_without_branch": "SELECT count(*) FROM membership m LEFT JOIN branch b "
                                         "ON b.id = m.branch_id WHERE b.id IS NULL",
            "membership_without_person": "SELECT count(*) FROM membership m LEFT JOIN person p "
                                         "ON p.id = m.person_id WHERE p.id IS NULL",
            "person_without_identity": "SELECT count(*) FROM person p LEFT JOIN identity i "
                                       "ON i.person_id = p.id WHERE i.id IS NULL AND p.erased_at IS NULL",
        }
        for name, sql in orphans.items():
            out[name] = (await s.execute(text(sql))).scalar_one()
        return out


def errors(caplog) -> list[str]:
    return [f"{r.name}: {r.getMessage()[:300]}" for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.slow
async def test_fuzz_updates_through_the_webhook(web_settings, fake_tg, caplog):
    caplog.set_level(logging.WARNING)
    fake_tg.limits.enabled = False  # thousands of replies to the same few chats
    users = list(range(300_001, 300_061))
    groups = [-4001, -4002]
    for uid in users:
        fake_tg.add_chat(uid, "private", first_name="F")
    for gid in groups:
        fake_tg.add_chat(gid, "group", title="Nhóm")
    stored = fake_tg.store_file(TINY_PNG, "photo", "image/png")
    gen = FuzzGen(FUZZ_SEED, users, groups, fake_tg.photo_sizes(stored), fake_tg.bot_user)
    node = await start_node(web_settings)
    try:
        await seed(node)
        before = await invariants(node)
        statuses: dict[int, int] = {}
        queue: asyncio.Queue[dict] = asyncio.Queue()
        for _ in range(FUZZ_N):
            update = gen.update()
            query = update.get("callback_query")
            if isinstance(query, dict):
                # Query ids come from Telegram even when a modified client forges the data.
                fake_tg.callback_answers[query["id"]] = {}
            queue.put_nowait(update)

        async with aiohttp.ClientSession() as http:
            async def poster() -> None:
                while not queue.empty():
                    body = json.dumps(queue.get_nowait(), ensure_ascii=False)
                    async with http.post(node.hook_url, data=body.encode("utf-8", "surrogatepass"),
                                         headers=headers()) as resp:
                        statuses[resp.status] = statuses.get(resp.status, 0) + 1

            await asyncio.gather(*(poster() for _ in range(FUZZ_POSTERS)))
        assert await node.server.drain(120)
        after = await invariants(node)
    finally:
        await node.stop()
    print(f"fuzz seed={FUZZ_SEED} n={FUZZ_N} statuses={statuses} replies={len(fake_tg.sent)} "
          f"fake={dict(fake_tg.stats)}")
    assert set(statuses) == {200} and sum(statuses.values()) == FUZZ_N
    assert errors(caplog) == []
    assert fake_tg.stats["400"] == 0 and fake_tg.stats["5xx"] == 0
    assert len(fake_tg.sent) > FUZZ_N // 4  # the bot did answer people, it did not just drop everything
    assert after == before
    assert after["identity_without_person"] == after["membership_without_branch"] == 0


def shared_updates() -> list[dict]:
    folder = shared_dir()
    path = folder / "telegram-updates" / "updates.json" if folder else None
    require_or_skip(path is not None and path.is_file(),
                    "shared/telegram-updates/updates.json not present (set HOCBAC_SHARED_DIR)")
    assert path is not None
    return [item["update"] for item in json.loads(path.read_text(encoding="utf-8"))]


def known_queries(fake_tg, updates: list[dict]) -> None:
    """Callback query ids in the file were issued by Telegram; make the fake accept answers to them."""
    for update in updates:
        query = update.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            fake_tg.callback_answers[str(query["id"])] = {}


async def test_shared_updates_through_the_webhook(web_settings, fake_tg, caplog):
    caplog.set_level(logging.WARNING)
    updates = shared_updates()
    known_queries(fake_tg, updates)
    fake_tg.limits.enabled = False
    node = await start_node(web_settings)
    try:
        await node.channel.bot.set_webhook(node.hook_url, secret_token=SECRET)
        for update in updates:
            await fake_tg.inject_update(update)
        await fake_tg.wait_webhook_idle(timeout=60)
        assert await node.server.drain(30)
        # Still alive and answering afterwards.
        probe = fake_tg.user(777_001, "Kiểm tra")
        await probe.send("/start")
        await probe.expect("Chào mừng")
    finally:
        await node.stop()
    assert len(fake_tg.webhook_log) == len(updates) + 1
    assert all(entry["status"] == 200 for entry in fake_tg.webhook_log)
    assert errors(caplog) == []
    assert fake_tg.stats["400"] == 0


async def test_shared_updates_through_polling(bot, fake_tg, caplog):
    """The single-process mode (getUpdates) gets the same 125 updates."""
    caplog.set_level(logging.WARNING)
    updates = shared_updates()
    known_queries(fake_tg, updates)
    fake_tg.limits.enabled = False
    for update in updates:
        await fake_tg.inject_update(update)
    for _ in range(300):
        if not fake_tg._pending:
            break
        await asyncio.sleep(0.05)
    assert not fake_tg._pending  # every update was fetched
    probe = fake_tg.user(777_002, "Kiểm tra")
    await probe.send("/start")
    await probe.expect("Chào mừng")  # processed after all the others: the bot is alive
    assert errors(caplog) == []
    assert fake_tg.stats["400"] == 0
