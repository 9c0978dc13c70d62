"""A burst of updates into one PostgreSQL + Redis worker: more updates in flight than Redis connections.

Every update takes Redis round trips (de-duplication, the person's lock, conversation state). When more
of them run at once than the Redis pool holds, they must wait for a connection, not fail: a failure here
is an update lost without a reply.
"""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
import pytest

from tests.scale.conftest import headers, start_node
from tests.scale.test_fuzz import errors

BURST = 240  # below the worker's 256 background slots, above the Redis pool's 100 connections


def help_update(update_id: int, user_id: int) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "B"}
    return {"update_id": update_id,
            "message": {"message_id": update_id, "date": 1_700_000_000, "from": user,
                        "chat": {"id": user_id, "type": "private", "first_name": "B"},
                        "text": "/help", "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}


@pytest.mark.postgres
@pytest.mark.redis
async def test_burst_beyond_the_redis_pool_loses_nothing(scale_settings, fake_tg, caplog):
    caplog.set_level(logging.WARNING)
    fake_tg.limits.enabled = False
    users = [500_001 + i for i in range(BURST)]
    for uid in users:
        fake_tg.add_chat(uid, "private", first_name="B")
    node = await start_node(scale_settings)
    try:
        bodies = [json.dumps(help_update(8_000 + i, uid)).encode() for i, uid in enumerate(users)]
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=BURST)) as http:
            async def post(body: bytes) -> int:
                async with http.post(node.hook_url, data=body, headers=headers()) as resp:
                    return resp.status

            statuses = await asyncio.gather(*(post(b) for b in bodies))
        assert await node.server.drain(60)
    finally:
        await node.stop()
    assert statuses == [200] * BURST
    assert errors(caplog) == []
    assert {m.chat_id for m in fake_tg.sent} >= set(users)  # everyone got an answer
