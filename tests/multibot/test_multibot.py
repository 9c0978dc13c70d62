"""Several Telegram bots in one installation (TELEGRAM_BOTS): each đảng bộ has its bot, a member hears their
đảng bộ only through it, links name it, and a member who moves between đảng bộ switches bots cleanly.

The fake Telegram serves three bots at one address: BOT_TOKEN's default bot (the system admin's), the bot of
đảng bộ A (org 1) and the bot of đảng bộ B (org 2). Each fake bot keeps its own chats and sent messages, so
"through B only" is checked on the wire.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.compose import open_services, telegram_username
from bot.devtools.emulator import FakeTelegram, TelegramUser
from bot.devtools.harness import BotHarness
from bot.features.admin.cli import run_admin
from bot.messages import Reply, UserRef
from bot.services import bot_binding
from bot.services.actor import Actor
from bot.services.identity import IdentityService
from bot.services.notify import notify
from bot.services.org import OrgService
from storage.models.outbox import OutboxMessage
from storage.models.people import Identity, Membership, MembershipStatus
from tests.conftest import ADMIN_TG_ID, TZ

TOKEN_A = "700001:TEST-token-of-huyen-a"
TOKEN_B = "700002:TEST-token-of-huyen-b"
USER_A, USER_B = "hocbac_huyen_a_bot", "hocbac_huyen_b_bot"


@dataclass
class Province:
    bot: BotHarness
    fake: FakeTelegram  # the default bot (BOT_TOKEN)
    fake_a: FakeTelegram
    fake_b: FakeTelegram
    admin: Actor
    branch_a: int
    branch_b: int
    sec_a: TelegramUser
    sec_b: TelegramUser
    sec_a_actor: Actor
    sec_b_actor: Actor

    @property
    def services(self):  # type: ignore[no-untyped-def]
        assert self.bot.app is not None
        return self.bot.app.services

    async def code(self, branch_id: int) -> str:
        actor = self.sec_a_actor if branch_id == self.branch_a else self.sec_b_actor
        return (await self.services.get(OrgService).create_code(actor, kind="member", branch_id=branch_id)).code

    async def join(self, fake: FakeTelegram, user_id: int, name: str, branch_id: int) -> TelegramUser:
        """A member joins through the real conversation on ``fake``'s bot and their secretary approves."""
        sec = self.sec_a if branch_id == self.branch_a else self.sec_b
        user = fake.user(user_id, name)
        await user.send(f"/start {await self.code(branch_id)}")
        await user.expect("đã được gửi tới bí thư")
        await sec.expect("xin tham gia", name)
        await sec.press("Duyệt")
        await user.expect("đã được duyệt")
        return user

    async def person(self, user_id: int, bot: str) -> int:
        async with self.services.deps.db.session() as s:
            return (await s.execute(select(Identity.person_id).where(
                Identity.channel == "telegram", Identity.bot == bot, Identity.external_id == str(user_id))
            )).scalar_one()

    async def rows(self, person_id: int) -> list[OutboxMessage]:
        async with self.services.deps.db.session() as s:
            return list((await s.execute(select(OutboxMessage).where(OutboxMessage.person_id == person_id)
                                         .order_by(OutboxMessage.id))).scalars().all())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def multi(request, settings):  # type: ignore[no-untyped-def]
    """The test settings with two more bots, on SQLite, then on PostgreSQL (TEST_POSTGRES_URL)."""
    update: dict[str, object] = {"telegram_bots": f"huyen_a={TOKEN_A}@1; huyen_b={TOKEN_B}@2"}
    if request.param == "postgres":
        update["database_url"] = request.getfixturevalue("pg_db_url")
    return type(settings)(**{**settings.model_dump(), **update, "_env_file": None})


@pytest.fixture
async def province(multi, clock, fake_tg):  # type: ignore[no-untyped-def]
    fake_a = await fake_tg.add_bot(TOKEN_A, USER_A)
    fake_b = await fake_tg.add_bot(TOKEN_B, USER_B)
    harness = BotHarness(multi, clock)
    await harness.start()
    assert harness.app is not None
    services = harness.app.services
    ids, org = services.get(IdentityService), services.get(OrgService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    org_a = await org.create_org(admin, "Đảng bộ huyện An Phú")
    org_b = await org.create_org(admin, "Đảng bộ huyện Bình Minh")
    assert (org_a.id, org_b.id) == (1, 2)  # TELEGRAM_BOTS above binds them by id
    branches, secretaries = [], []
    for org_id, bot, fake, user_id, name in ((org_a.id, "huyen_a", fake_a, 9101, "Nguyễn Thị Lan"),
                                             (org_b.id, "huyen_b", fake_b, 9102, "Lê Văn Bình")):
        branch = await org.create_branch(admin, org_id, "Chi bộ thôn 1")
        invite = await org.create_code(admin, kind="secretary", branch_id=branch.id)
        user = fake.user(user_id, name)
        actor = await ids.resolve(UserRef("telegram", str(user_id), name), str(user_id), bot)
        await org.redeem(actor, invite.code)
        actor = await ids.actor_for_person(actor.person_id)
        assert actor is not None and actor.is_secretary
        branches.append(branch.id)
        secretaries.append((user, actor))
    yield Province(harness, fake_tg, fake_a, fake_b, admin, branches[0], branches[1],
                   secretaries[0][0], secretaries[1][0], secretaries[0][1], secretaries[1][1])
    await harness.stop()


async def test_every_bot_starts_and_is_a_channel(province):
    app = province.bot.app
    assert app is not None
    assert {"telegram", "telegram:huyen_a", "telegram:huyen_b"} <= set(app.channels)
    assert {k: c.username for k, c in province.bot.composed.telegrams.items()} == {  # type: ignore[union-attr]
        "": "hocbac_test_bot", "huyen_a": USER_A, "huyen_b": USER_B}


async def test_a_member_of_b_hears_everything_through_b_only(province, clock):
    an = await province.join(province.fake_b, 5001, "Trần Văn An", province.branch_b)
    await an.send("/toi")
    await an.expect("Trần Văn An")
    # The daily item, next morning at the default 06:30.
    clock.set(datetime(2026, 3, 3, 6, 30, tzinfo=TZ))
    assert (await province.bot.tick(only=["daily"])) == {"daily": "ok"}
    await an.expect("Học Bác mỗi ngày")
    person = await province.person(5001, "huyen_b")
    rows = await province.rows(person)
    assert {r.kind for r in rows} >= {"daily", "join_decision"}
    assert {(r.channel, r.bot) for r in rows} == {("telegram", "huyen_b")}
    assert province.fake_b.messages_for(5001)
    assert province.fake_a.messages_for(5001) == [] and province.fake.messages_for(5001) == []


async def test_a_code_typed_to_another_bot_points_to_the_right_one(province):
    code = await province.code(province.branch_b)
    an = province.fake_a.user(5002, "Trần Văn An")
    await an.send(f"/start {code}")
    reply = await an.expect("Đảng bộ huyện Bình Minh", f"https://t.me/{USER_B}?start={code}")
    assert "đồng chí" in reply.text
    async with province.services.deps.db.session() as s:  # nothing joined through the wrong bot
        assert (await s.execute(select(Membership).where(Membership.branch_id == province.branch_b,
                                                         Membership.role == "member"))).first() is None


async def test_join_links_name_the_bot_of_the_branch(province, capsys):
    await province.sec_b.send("/mathamgia")
    msg = await province.sec_b.expect("Mã tham gia", f"https://t.me/{USER_B}?start=")
    assert USER_A not in msg.text and "hocbac_test_bot" not in msg.text
    # The system admin on the default bot invites B's deputy: the link is B's bot, not the admin's.
    admin = province.fake.user(ADMIN_TG_ID, "Quản trị")
    await admin.send(f"/moiphobithu {province.branch_b}")
    msg = await admin.expect(f"https://t.me/{USER_B}?start=")
    assert "hocbac_test_bot" not in msg.text
    await admin.send(f"/moibithu {province.branch_a}")
    await admin.expect(f"https://t.me/{USER_A}?start=")
    # `hocbac admin invite-secretary` prints it too.
    args = argparse.Namespace(action="invite-secretary", branch_id=province.branch_b, deputy=False,
                              open_services=open_services, telegram_username=telegram_username)
    assert await run_admin(province.bot.settings, args) == 0
    printed = capsys.readouterr().out
    assert f"https://t.me/{USER_B}?start=" in printed and USER_A not in printed


async def test_a_notice_from_a_secretary_of_a_goes_through_bot_a(province):
    # Chi has opened B's bot too (the same Telegram user): the bot of their đảng bộ wins.
    chi_b = province.fake_b.user(5003, "Phạm Thị Chi")
    await chi_b.send("/start")
    await chi_b.expect("Chào mừng")
    chi = await province.join(province.fake_a, 5003, "Phạm Thị Chi", province.branch_a)
    sec = province.sec_a
    await sec.send("📣 Gửi thông báo")
    await sec.expect("Gõ nội dung thông báo")
    await sec.send("Đề nghị các đồng chí đọc Chỉ thị 05")
    await sec.expect("Gửi cho ai?")
    await sec.press("Toàn chi bộ")
    await sec.expect("Khi nào gửi?")
    await sec.press("Gửi ngay")
    await sec.expect("Thêm nút")
    await sec.press("Không")
    await sec.expect("Gửi cho 2 đảng viên?")
    await sec.press("📣 Gửi")
    await chi.expect("Đề nghị các đồng chí đọc Chỉ thị 05")
    await sec.expect("đã gửi xong")
    assert not any("Chỉ thị 05" in m.text for m in province.fake_b.messages_for(5003))
    assert province.fake.messages_for(5003) == []


async def _queue_later(province: Province, person_id: int, key: str) -> None:
    deps = province.services.deps
    async with deps.db.session() as s:
        assert await notify(s, deps, person_id, kind="branch_news", key=key,
                            render=lambda: Reply(text=f"Tin chi bộ {key}"),
                            not_before=deps.clock.now() + timedelta(days=1))


async def test_a_member_moved_to_b_gets_the_queued_rows_through_b_once(province, clock):
    dung = await province.join(province.fake_a, 5004, "Võ Văn Dũng", province.branch_a)
    person = await province.person(5004, "huyen_a")
    await _queue_later(province, person, "t1")
    assert [(r.bot, r.status) for r in await province.rows(person) if r.kind == "branch_news"] == [
        ("huyen_a", "pending")]
    # He moves: leaves A's branch, and opens B's bot with B's code (the same Telegram user).
    actor = await province.services.get(IdentityService).actor_for_person(person)
    await province.services.get(OrgService).leave(actor, province.branch_a)
    dung_b = await province.join(province.fake_b, 5004, "Võ Văn Dũng", province.branch_b)
    assert await province.person(5004, "huyen_b") == person  # one person, two bots
    [row] = [r for r in await province.rows(person) if r.kind == "branch_news"]
    assert (row.bot, row.status, row.chat_id) == ("huyen_b", "pending", "5004")
    clock.advance(timedelta(days=2))
    await province.bot.drain()
    await dung_b.expect("Tin chi bộ t1")
    await province.bot.drain()
    assert sum("Tin chi bộ t1" in m.text for m in province.fake_b.messages_for(5004)) == 1  # never twice
    assert not any("Tin chi bộ" in m.text for m in province.fake_a.messages_for(5004))
    assert dung is not None


async def test_a_member_moved_without_the_new_bot_has_the_old_rows_dropped_with_a_reason(province, clock):
    await province.join(province.fake_a, 5005, "Đặng Thị Em", province.branch_a)
    person = await province.person(5005, "huyen_a")
    await _queue_later(province, person, "t2")
    deps = province.services.deps
    # An administrative transfer (her membership moved to B's branch) before she has opened B's bot.
    async with deps.db.session() as s:
        m = (await s.execute(select(Membership).where(Membership.person_id == person))).scalar_one()
        m.status = MembershipStatus.LEFT.value
        s.add(m)
        s.add(Membership(person_id=person, branch_id=province.branch_b, status=MembershipStatus.ACTIVE.value))
        await s.flush()
        assert await bot_binding.rebind_pending(s, deps, person) == (0, 1)
    [row] = [r for r in await province.rows(person) if r.kind == "branch_news"]
    assert row.status == "skipped" and row.last_error == bot_binding.MOVED_REASON
    clock.advance(timedelta(days=2))
    await province.bot.drain()
    assert not any("Tin chi bộ t2" in m.text for f in (province.fake_a, province.fake_b, province.fake)
                   for m in f.messages_for(5005))
