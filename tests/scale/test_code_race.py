"""A code's uses are claimed atomically: many people redeeming a one-time invite at once make one secretary.

The attack: six people send ``/start <invite>`` together. The code used to be checked in one unit of work and
counted in another, so every one of them passed the check (SQLite: six secretaries, ``uses=6``; PostgreSQL
with two web workers: extra secretaries, and lost increments). Now checking, claiming a use (a conditional
UPDATE) and applying the role are one transaction. Each test runs on SQLite and on PostgreSQL, through the
webhook of one or two web workers (the chat path) and at the service level with one session per redemption.
"""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.messages import UserRef
from bot.services.errors import InvalidInput
from bot.services.identity import IdentityService
from bot.services.org import JoinResult, OrgService
from storage.models.joining import JoinCode
from storage.models.people import Membership
from tests.conftest import ADMIN_TG_ID
from tests.scale.conftest import WebNode, headers, start_node
from tests.scale.test_fuzz import errors

RACERS = 8


def start_update(update_id: int, user_id: int, text: str) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": f"Người {user_id}"}
    return {"update_id": update_id,
            "message": {"message_id": update_id, "date": 1_700_000_000, "from": user,
                        "chat": {"id": user_id, "type": "private", "first_name": user["first_name"]},
                        "text": text, "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}


async def _branch_without_secretary(node: WebNode) -> tuple[int, object]:
    ids, org = node.app.services.get(IdentityService), node.app.services.get(OrgService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    o = await org.create_org(admin, "Đảng bộ xã An Bình")
    b = await org.create_branch(admin, o.id, "Chi bộ thôn 1")
    return b.id, admin


async def _counts(node: WebNode, code_id: int, branch_id: int) -> tuple[int, int, int]:
    """(uses of the code, active secretaries of the branch, pending members of the branch)."""
    async with node.app.db.session() as s:
        uses = (await s.execute(select(JoinCode.uses).where(JoinCode.id == code_id))).scalar_one()

        async def count(*where) -> int:  # type: ignore[no-untyped-def]
            q = select(func.count()).select_from(Membership).where(Membership.branch_id == branch_id, *where)
            return int((await s.execute(q)).scalar_one())

        secretaries = await count(Membership.role == "secretary", Membership.status == "active")
        pending = await count(Membership.status == "pending")
    return uses, secretaries, pending


async def _race_over_webhook(settings: Settings, fake_tg, *, workers: int, kind: str,
                             max_uses: int | None) -> tuple[int, int, int, list[str]]:
    fake_tg.limits.enabled = False
    users = [410_001 + i for i in range(RACERS)]
    for uid in users:
        fake_tg.add_chat(uid, "private", first_name="N")
    nodes = [await start_node(settings) for _ in range(workers)]
    try:
        branch_id, admin = await _branch_without_secretary(nodes[0])
        org = nodes[0].app.services.get(OrgService)
        if kind == "member":  # a member code with a use limit (made here by the committee admin)
            code = await org.create_code(admin, kind="member", branch_id=branch_id, max_uses=max_uses)
        else:
            code = await org.create_code(admin, kind=kind, branch_id=branch_id)
        bodies = [json.dumps(start_update(7_100 + i, uid, f"/start {code.code}")).encode()
                  for i, uid in enumerate(users)]
        async with aiohttp.ClientSession() as http:
            async def post(i: int, body: bytes) -> int:
                async with http.post(nodes[i % workers].hook_url, data=body, headers=headers()) as resp:
                    return resp.status

            statuses = await asyncio.gather(*(post(i, b) for i, b in enumerate(bodies)))
        for node in nodes:
            assert await node.server.drain(60)
        assert statuses == [200] * RACERS
        uses, secretaries, pending = await _counts(nodes[0], code.id, branch_id)
        replies = [m.text for uid in users for m in fake_tg.messages_for(uid)]
    finally:
        for node in nodes:
            await node.stop()
    return uses, secretaries, pending, replies


async def _race_in_services(settings: Settings, *, workers: int) -> tuple[list[object], int, int]:
    """Redeem one invite from RACERS people at once, straight through OrgService (one session each)."""
    nodes = [await start_node(settings) for _ in range(workers)]
    try:
        branch_id, admin = await _branch_without_secretary(nodes[0])
        invite = await nodes[0].app.services.get(OrgService).create_code(admin, kind="secretary",
                                                                         branch_id=branch_id)
        ids = nodes[0].app.services.get(IdentityService)
        actors = [await ids.resolve(UserRef("telegram", str(420_001 + i), f"Người {i}"), str(420_001 + i))
                  for i in range(RACERS)]
        results = await asyncio.gather(
            *(nodes[i % workers].app.services.get(OrgService).redeem(a, invite.code) for i, a in enumerate(actors)),
            return_exceptions=True,
        )
        uses, secretaries, _pending = await _counts(nodes[0], invite.id, branch_id)
    finally:
        for node in nodes:
            await node.stop()
    return list(results), uses, secretaries


def _one_winner(results: list[object]) -> None:
    won = [r for r in results if isinstance(r, JoinResult)]
    lost = [r for r in results if isinstance(r, InvalidInput)]
    assert [r.kind for r in won] == ["active"], results  # type: ignore[attr-defined]
    assert len(lost) == RACERS - 1, results
    assert all("đã được sử dụng" in e.message for e in lost), [e.message for e in lost]


# --- SQLite --------------------------------------------------------------------------------------------


async def test_one_time_invite_makes_one_secretary_over_the_webhook(web_settings, fake_tg, caplog):
    caplog.set_level(logging.WARNING)
    uses, secretaries, _pending, replies = await _race_over_webhook(web_settings, fake_tg, workers=1,
                                                                    kind="secretary", max_uses=None)
    assert (secretaries, uses) == (1, 1)
    assert sum("Đồng chí đã là bí thư" in t for t in replies) == 1
    assert sum("Mã này đã được sử dụng" in t for t in replies) == RACERS - 1
    assert errors(caplog) == []


async def test_member_code_use_limit_holds_over_the_webhook(web_settings, fake_tg, caplog):
    caplog.set_level(logging.WARNING)
    uses, secretaries, pending, replies = await _race_over_webhook(web_settings, fake_tg, workers=1,
                                                                   kind="member", max_uses=2)
    assert (pending, uses, secretaries) == (2, 2, 0)
    assert sum("Mã này đã được sử dụng" in t for t in replies) == RACERS - 2
    assert errors(caplog) == []


async def test_one_time_invite_in_separate_sessions(web_settings):
    results, uses, secretaries = await _race_in_services(web_settings, workers=1)
    _one_winner(results)
    assert (secretaries, uses) == (1, 1)


# --- PostgreSQL, two web workers -----------------------------------------------------------------------


@pytest.mark.postgres
async def test_one_time_invite_makes_one_secretary_on_postgres_two_workers(pg_settings, fake_tg, caplog):
    caplog.set_level(logging.WARNING)
    uses, secretaries, _pending, replies = await _race_over_webhook(pg_settings, fake_tg, workers=2,
                                                                    kind="secretary", max_uses=None)
    assert (secretaries, uses) == (1, 1)
    assert sum("Đồng chí đã là bí thư" in t for t in replies) == 1
    assert errors(caplog) == []


@pytest.mark.postgres
async def test_member_code_use_limit_holds_on_postgres_two_workers(pg_settings, fake_tg, caplog):
    caplog.set_level(logging.WARNING)
    uses, secretaries, pending, _replies = await _race_over_webhook(pg_settings, fake_tg, workers=2,
                                                                    kind="member", max_uses=1)
    assert (pending, uses, secretaries) == (1, 1, 0)
    assert errors(caplog) == []


@pytest.mark.postgres
async def test_one_time_invite_in_separate_sessions_on_postgres_two_workers(pg_settings):
    results, uses, secretaries = await _race_in_services(pg_settings, workers=2)
    _one_winner(results)
    assert (secretaries, uses) == (1, 1)
