"""Concurrent writers on SQLite through the webhook and the dispatcher.

Different people are handled concurrently (the per-person lock only orders one person's updates), so
their read-modify-write units of work overlap. Each must see the others' committed writes: SQLite
transactions have to start as writers (BEGIN IMMEDIATE) for that, else a counter loses increments and
a read transaction that later writes fails with "database is locked".
"""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
from sqlalchemy import func, select

from bot.messages import UserRef
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from storage.models.joining import JoinCode
from storage.models.people import Membership
from tests.scale.conftest import headers, start_node
from tests.scale.test_fuzz import errors, seed

JOINERS = 12


def start_update(update_id: int, user_id: int, text: str) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": f"Người {user_id}"}
    return {"update_id": update_id,
            "message": {"message_id": update_id, "date": 1_700_000_000, "from": user,
                        "chat": {"id": user_id, "type": "private", "first_name": user["first_name"]},
                        "text": text, "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}


async def test_concurrent_joins_keep_every_write(web_settings, fake_tg, caplog):
    caplog.set_level(logging.WARNING)
    fake_tg.limits.enabled = False
    users = [400_001 + i for i in range(JOINERS)]
    for uid in users:
        fake_tg.add_chat(uid, "private", first_name="N")
    node = await start_node(web_settings)
    try:
        await seed(node)
        ids, org = node.app.services.get(IdentityService), node.app.services.get(OrgService)
        sec = await ids.resolve(UserRef("telegram", "9101", "Bí thư"), "9101")
        code = await org.create_code(sec, kind="member", branch_id=sec.seats[0].branch_id)
        bodies = [json.dumps(start_update(7_000 + i, uid, f"/start {code.code}")).encode()
                  for i, uid in enumerate(users)]
        async with aiohttp.ClientSession() as http:
            async def post(body: bytes) -> int:
                async with http.post(node.hook_url, data=body, headers=headers()) as resp:
                    return resp.status

            statuses = await asyncio.gather(*(post(b) for b in bodies))
        assert await node.server.drain(60)
        async with node.app.db.session() as s:
            uses = (await s.execute(select(JoinCode.uses).where(JoinCode.id == code.id))).scalar_one()
            pending = (await s.execute(select(func.count()).select_from(Membership)
                                       .where(Membership.status == "pending"))).scalar_one()
    finally:
        await node.stop()
    assert statuses == [200] * JOINERS
    assert errors(caplog) == []
    assert pending == JOINERS  # every joiner got a membership request
    assert uses == JOINERS  # and every use was counted: no increment lost to a concurrent one
