"""Votes through the services and the providers of contracts.md: open, cast, change, refuse, close, result;
and the races (two taps at once never make two ballots; no ballot after the close) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.devtools.harness import TEST_TOKEN, BotHarness
from bot.features.votes.models import Ballot, Vote
from bot.features.votes.service import VoteService
from bot.services.errors import DomainError
from bot.services.identity import IdentityService
from storage.models.outbox import OutboxMessage
from tests.conftest import ADMIN_TG_ID, TZ, seed_branch
from tests.secretary.helpers import seed_members
from tests.votes.helpers import mark_present, schedule


async def _world(harness: BotHarness, fake_tg, clock, n: int = 12, present: int = 9):  # type: ignore[no-untyped-def]
    assert harness.app is not None
    branch = await seed_branch(harness, fake_tg)
    people = await seed_members(harness, fake_tg, branch.branch_id, 7300, n)
    mid = await schedule(harness, branch)
    clock.set(datetime(2026, 3, 2, 19, 40, tzinfo=TZ))
    await mark_present(harness, mid, people[:present])
    ids = harness.app.services.get(IdentityService)
    actors = [await ids.actor_for_person(p) for p in people]
    return branch, mid, people, actors


async def test_providers_open_cast_change_close(bot, fake_tg, clock):
    branch, mid, _people, actors = await _world(bot, fake_tg, clock)
    providers = bot.app.services.deps.ext.providers
    assert providers.open_meeting_vote and providers.vote_result and providers.meeting_votes
    async with bot.app.db.session() as s:
        vote_id = await providers.open_meeting_vote(
            s, bot.app.services.deps, mid, branch.secretary_actor.person_id, "Thông qua nghị quyết tháng 3",
            ["Tán thành", "Không tán thành", "Không biểu quyết"], True, "classification:17")
    async with bot.app.db.session() as s:
        ballots = (await s.execute(select(func.count()).select_from(OutboxMessage)
                                   .where(OutboxMessage.kind == "vote_ballot"))).scalar_one()
        vote = await s.get(Vote, vote_id)
    assert ballots == 9  # one per member present, none to the three absent
    assert vote is not None and vote.topic == "classification:17" and vote.kind == "yesno"
    svc = bot.app.services.get(VoteService)
    for a in actors[:7]:
        await svc.cast(a, vote_id, 0)
    await svc.cast(actors[7], vote_id, 1)
    out = await svc.cast(actors[7], vote_id, 2)  # changes her mind
    assert out.changed
    with pytest.raises(DomainError, match="đã chọn “Không biểu quyết” rồi"):
        await svc.cast(actors[7], vote_id, 2)
    with pytest.raises(DomainError, match="chưa điểm danh có mặt"):
        await svc.cast(actors[10], vote_id, 0)
    async with bot.app.db.session() as s:
        live = await providers.vote_result(s, vote_id)
    assert live is not None and live["closed"] is False and live["passed"] is None
    assert live["counts"] == [7, 0, 1] and live["voters"] == 8
    t = await svc.close(branch.secretary_actor, vote_id)
    assert t.counts == [7, 0, 1] and t.present == 9 and t.members == 13 and t.quorum and t.passed
    with pytest.raises(DomainError, match="đã kết thúc"):
        await svc.cast(actors[8], vote_id, 0)
    async with bot.app.db.session() as s:
        res = await providers.vote_result(s, vote_id)
        minutes = await providers.meeting_votes(s, mid)
        assert await providers.vote_result(s, 99999) is None
    # 12 members + the secretary = 13; 9 present >= 2/3 of 13; 7 agree > 13/2: passed.
    assert res == {"closed": True, "counts": [7, 0, 1], "voters": 8, "present": 9, "members": 13,
                   "quorum": True, "passed": True,
                   "result_line": "Tán thành 7, không tán thành 0, không biểu quyết 1; có mặt 9/13; thông qua"}
    assert minutes == [("Thông qua nghị quyết tháng 3", res["result_line"])]
    async with bot.app.db.session() as s:
        results = (await s.execute(select(func.count()).select_from(OutboxMessage)
                                   .where(OutboxMessage.kind == "vote_result"))).scalar_one()
    assert results == 9  # everyone present (the closing secretary is answered directly, and is not present)


async def test_majority_of_members_quorum_warning_and_present_basis(bot, fake_tg, clock):
    branch, mid, _people, actors = await _world(bot, fake_tg, clock, n=11, present=7)  # 12 members, 7 present
    svc = bot.app.services.get(VoteService)
    vote = await svc.open(branch.secretary_actor, mid, "Kết nạp đảng viên mới")
    for a in actors[:6]:
        await svc.cast(a, vote.id, 0)
    await svc.cast(actors[6], vote.id, 1)
    t = await svc.close(branch.secretary_actor, vote.id)
    # 6 agree: not more than half of 12 members, although 6 of 7 present agree; 7 < 2/3 of 12 present.
    assert t.passed is False and t.quorum is False
    async with bot.app.db.session() as s:
        res = await bot.app.services.deps.ext.providers.vote_result(s, vote.id)
    assert res["result_line"].endswith("có mặt 7/12; chưa đủ hai phần ba có mặt; không thông qua")
    await svc.toggle_setting(branch.secretary_actor, branch.branch_id, "basis")  # "present" instead
    vote2 = await svc.open(branch.secretary_actor, mid, "Lần hai")
    for a in actors[:6]:
        await svc.cast(a, vote2.id, 0)
    assert (await svc.close(branch.secretary_actor, vote2.id)).passed is True


async def _race(harness: BotHarness, fake_tg, clock) -> None:
    branch, mid, _people, actors = await _world(harness, fake_tg, clock, n=10, present=10)
    svc = harness.app.services.get(VoteService)
    vote = await svc.open(branch.secretary_actor, mid, "Biểu quyết đồng thời")

    async def tap(actor, choice: int) -> str:  # type: ignore[no-untyped-def]
        try:
            await svc.cast(actor, vote.id, choice)
        except DomainError as exc:
            return exc.message
        return "ok"

    # Everyone taps several times at once (two choices each): exactly one ballot per person.
    await asyncio.gather(*(tap(a, k % 2) for a in actors for k in range(4)))
    async with harness.app.db.session() as s:
        per_person = (await s.execute(select(Ballot.person_id, func.count()).where(Ballot.vote_id == vote.id)
                                      .group_by(Ballot.person_id))).all()
    assert len(per_person) == 10 and all(n == 1 for _pid, n in per_person)

    # Taps racing the close: whatever lands is counted in the frozen result, nothing lands after it.
    vote2 = await svc.open(branch.secretary_actor, mid, "Biểu quyết và kết thúc cùng lúc")

    async def tap2(actor) -> str:  # type: ignore[no-untyped-def]
        try:
            await svc.cast(actor, vote2.id, 0)
        except DomainError as exc:
            return exc.message
        return "ok"

    results = await asyncio.gather(*(tap2(a) for a in actors), svc.close(branch.secretary_actor, vote2.id))
    closed = results[-1]
    async with harness.app.db.session() as s:
        stored = (await s.execute(select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote2.id))
                  ).scalar_one()
    accepted = sum(r == "ok" for r in results[:-1])
    assert closed.voters == stored == accepted


async def test_parallel_taps_make_one_ballot_each_sqlite(bot, fake_tg, clock):
    await _race(bot, fake_tg, clock)


@pytest.mark.postgres
async def test_parallel_taps_make_one_ballot_each_postgres(tmp_path, fake_tg, clock, pg_db_url):
    settings = Settings(_env_file=None, bot_token=TEST_TOKEN, telegram_api_url=fake_tg.base_url,  # type: ignore[call-arg]
                        database_url=pg_db_url, admin_ids=[f"telegram:{ADMIN_TG_ID}"], media_dir=tmp_path / "media")
    harness = BotHarness(settings, clock)
    await harness.start()
    try:
        assert harness.app is not None and harness.app.db.dialect == "postgresql"
        await _race(harness, fake_tg, clock)
    finally:
        await harness.stop()
