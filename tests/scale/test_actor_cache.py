"""The actor cache on the per-update path (bot/services/actor_cache.py, bot/services/identity.py).

A hit costs no SQL statement; every change that alters an actor (joining, approval, rejection, leaving, a
role raised, a committee role granted or removed, language, name, linking, erasure, an account that
blocked the bot) is seen by the very next update; and with two App instances on one PostgreSQL + Redis
(two web workers), a change made on one is seen by the other's next update — a revocation is never
served from the other worker's cache.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, event, select

from bot.app import App
from bot.config import Settings
from bot.features.linking.service import LinkService
from bot.features.privacy.service import PrivacyService
from bot.messages import UserRef
from bot.services.actor import Actor
from bot.services.identity import IdentityService, actor_cache, invalidate
from bot.services.org import OrgService
from storage.models.people import Identity, Membership, OrgRole
from tests.conftest import ADMIN_TG_ID

MEMBER = UserRef("telegram", "5001", "Trần Văn Ba")
SECRETARY = UserRef("telegram", "5002", "Nguyễn Thị Lan")


@contextlib.contextmanager
def counted(app: App) -> Iterator[list[str]]:
    """Every SQL statement the App's engine runs inside the block."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    engine = app.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@dataclass
class World:
    """One đảng bộ with one chi bộ and its secretary, built through the real services of ``app``."""

    app: App
    org_id: int
    branch_id: int
    admin: Actor
    secretary: Actor

    def ids(self, app: App | None = None) -> IdentityService:
        return (app or self.app).services.get(IdentityService)

    def org(self, app: App | None = None) -> OrgService:
        return (app or self.app).services.get(OrgService)

    async def resolve(self, user: UserRef = MEMBER, app: App | None = None) -> Actor:
        return await self.ids(app).resolve(user, user.user_id)

    async def join_pending(self, user: UserRef = MEMBER) -> Actor:
        code = await self.org().create_code(self.secretary, kind="member", branch_id=self.branch_id)
        await self.org().redeem(await self.resolve(user), code.code)
        return await self.resolve(user)

    async def membership_id(self, person_id: int) -> int:
        async with self.app.db.session() as s:
            return (await s.execute(select(Membership.id).where(Membership.person_id == person_id))).scalar_one()


async def build_world(app: App) -> World:
    ids, org = app.services.get(IdentityService), app.services.get(OrgService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    o = await org.create_org(admin, "Đảng bộ xã An Bình")
    b = await org.create_branch(admin, o.id, "Chi bộ thôn 1")
    invite = await org.create_code(admin, kind="secretary", branch_id=b.id)
    await org.redeem(await ids.resolve(SECRETARY, SECRETARY.user_id), invite.code)
    secretary = await ids.resolve(SECRETARY, SECRETARY.user_id)
    assert secretary.is_secretary
    return World(app, o.id, b.id, admin, secretary)


@contextlib.asynccontextmanager
async def open_app(settings: Settings, *, migrate: bool = True) -> AsyncIterator[App]:
    app = await App.create(settings, migrate=migrate)
    try:
        yield app
    finally:
        await app.close()


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[World]:
    async with open_app(settings) as app:
        yield await build_world(app)


# --- one worker (SQLite, no Redis: the versions live in the process) ------------------------------------


async def test_a_hit_runs_no_sql_statement(world: World):
    first = await world.resolve()
    with counted(world.app) as statements:
        again = await world.resolve()
    assert statements == []
    assert again == first
    cache = actor_cache(world.app.services.deps)
    assert cache.hits >= 1


async def test_a_miss_reads_the_actor_with_two_statements(world: World):
    """The secretary's actor (a seat and a branch) is read with two Core SELECTs: the account with its
    person, then seats and committee roles together."""
    cache = actor_cache(world.app.services.deps)
    cache.seconds = 0  # off: every resolve reads
    with counted(world.app) as statements:
        secretary = await world.resolve(SECRETARY)
    assert secretary.is_secretary and secretary.seats[0].branch_name == "Chi bộ thôn 1"
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2, statements
    assert "UNION ALL" in selects[1].upper()


async def test_turned_off_every_update_reads(settings: Settings):
    async with open_app(settings.model_copy(update={"actor_cache_seconds": 0})) as app:
        ids = app.services.get(IdentityService)
        await ids.resolve(MEMBER, MEMBER.user_id)
        with counted(app) as statements:
            await ids.resolve(MEMBER, MEMBER.user_id)
        assert len(statements) >= 2


async def test_joining_approval_and_leaving_are_seen_at_once(world: World):
    stranger = await world.resolve()
    assert stranger.seats == ()
    pending = await world.join_pending()
    assert [s.status for s in pending.seats] == ["pending"]
    await world.org().decide_join(world.secretary, await world.membership_id(pending.person_id), approve=True)
    member = await world.resolve()
    assert member.is_member and member.seat(world.branch_id) is not None
    await world.org().leave(member, world.branch_id)
    gone = await world.resolve()
    assert not gone.is_member and [s.status for s in gone.seats] == ["left"]


async def test_a_rejection_is_seen_at_once(world: World):
    pending = await world.join_pending()
    await world.org().decide_join(world.secretary, await world.membership_id(pending.person_id), approve=False)
    assert [s.status for s in (await world.resolve()).seats] == ["rejected"]


async def test_a_raised_role_and_a_committee_role_are_seen_at_once(world: World):
    pending = await world.join_pending()
    await world.org().decide_join(world.secretary, await world.membership_id(pending.person_id), approve=True)
    assert (await world.resolve()).seat(world.branch_id).role == "member"  # type: ignore[union-attr]
    invite = await world.org().create_code(world.admin, kind="deputy", branch_id=world.branch_id)
    await world.org().redeem(await world.resolve(), invite.code)
    assert (await world.resolve()).managed_branch_ids() == [world.branch_id]
    grant = await world.org().create_code(world.admin, kind="committee_admin", org_id=world.org_id)
    await world.org().redeem(await world.resolve(), grant.code)
    assert (await world.resolve()).admin_org_ids == {world.org_id}


async def test_a_removed_committee_role_is_not_served_from_the_cache(world: World):
    """There is no revoke verb yet; whatever removes a role calls ``invalidate`` after its commit."""
    grant = await world.org().create_code(world.admin, kind="committee_admin", org_id=world.org_id)
    await world.org().redeem(await world.resolve(), grant.code)
    admin = await world.resolve()
    assert admin.is_committee_admin
    async with world.app.db.session() as s:
        await s.execute(delete(OrgRole).where(OrgRole.person_id == admin.person_id))
    assert (await world.resolve()).is_committee_admin  # a write behind the services' back: cached…
    await invalidate(world.app.services.deps, [admin.person_id])
    assert not (await world.resolve()).is_committee_admin  # …until invalidated


async def test_language_and_name_are_seen_at_once(world: World):
    actor = await world.resolve()
    await world.ids().set_locale(actor.person_id, "en")
    assert (await world.resolve()).locale == "en"
    await world.ids().rename(actor.person_id, "Trần Văn Bảy")
    assert (await world.resolve()).display_name == "Trần Văn Bảy"


async def test_linking_two_accounts_is_seen_at_once(world: World):
    """The account that types the code is absorbed into the secretary (who holds a seat)."""
    zalo = UserRef("zalo", "z-77", "Lan Zalo")
    other = await world.resolve(zalo)
    assert other.person_id != world.secretary.person_id
    code = await world.app.services.get(LinkService).create_code(world.secretary)
    await world.app.services.get(LinkService).redeem(other, code.code)
    linked = await world.resolve(zalo)
    assert linked.person_id == world.secretary.person_id and linked.is_secretary


async def test_erasure_forgets_the_actor_and_its_name(world: World):
    pending = await world.join_pending()
    await world.org().decide_join(world.secretary, await world.membership_id(pending.person_id), approve=True)
    member = await world.resolve()
    await world.app.services.get(PrivacyService).erase(member)
    cache = actor_cache(world.app.services.deps)
    assert all(e.actor.person_id != member.person_id for e in cache._entries.values())
    again = await world.resolve()
    assert again.person_id != member.person_id and not again.is_member  # starts afresh as a new person


async def test_an_account_that_blocked_the_bot_is_written_back_when_it_writes(world: World):
    actor = await world.resolve()
    await world.ids().mark_unreachable(actor.identity_id, "blocked")
    await world.resolve()
    async with world.app.db.session() as s:
        assert (await s.get(Identity, actor.identity_id)).reachable  # type: ignore[union-attr]


# --- two workers on one PostgreSQL + Redis -------------------------------------------------------------


@pytest.fixture
async def two_workers(scale_settings: Settings) -> AsyncIterator[tuple[World, App]]:
    async with open_app(scale_settings) as a, open_app(scale_settings, migrate=False) as b:
        assert a.redis is not None and b.redis is not None
        yield await build_world(a), b


@pytest.mark.redis
async def test_an_approval_on_one_worker_is_seen_by_the_others_next_update(two_workers):
    w, b = two_workers
    pending = await w.join_pending()
    assert not (await w.resolve(app=b)).is_member  # worker B caches the pending member
    await w.org().decide_join(w.secretary, await w.membership_id(pending.person_id), approve=True)
    assert (await w.resolve(app=b)).is_member


@pytest.mark.redis
async def test_a_revocation_on_one_worker_is_never_served_by_the_other(two_workers):
    w, b = two_workers
    pending = await w.join_pending()
    await w.org().decide_join(w.secretary, await w.membership_id(pending.person_id), approve=True)
    member_b = await w.resolve(app=b)
    assert member_b.is_member
    assert (await w.resolve(app=b)).is_member  # a hit on B
    await w.org().leave(await w.resolve(), w.branch_id)  # on A
    assert not (await w.resolve(app=b)).is_member
    # The secretary's committee-level removal, likewise (a write plus invalidate on A).
    grant = await w.org().create_code(w.admin, kind="committee_admin", org_id=w.org_id)
    await w.org().redeem(await w.resolve(SECRETARY), grant.code)
    assert (await w.resolve(SECRETARY, app=b)).is_committee_admin
    async with w.app.db.session() as s:
        await s.execute(delete(OrgRole).where(OrgRole.person_id == w.secretary.person_id))
    await invalidate(w.app.services.deps, [w.secretary.person_id])
    assert not (await w.resolve(SECRETARY, app=b)).is_committee_admin


@pytest.mark.redis
async def test_erasure_on_one_worker_reaches_the_other(two_workers):
    w, b = two_workers
    pending = await w.join_pending()
    await w.org().decide_join(w.secretary, await w.membership_id(pending.person_id), approve=True)
    on_b = await w.resolve(app=b)
    assert on_b.is_member
    await w.app.services.get(PrivacyService).erase(await w.resolve())
    again = await w.resolve(app=b)
    assert again.person_id != on_b.person_id and not again.is_member
    assert again.display_name != "(deleted)"


@pytest.mark.redis
async def test_a_change_committed_while_the_other_worker_reads_is_not_kept(two_workers, monkeypatch):
    """The race a version read *after* loading would lose: B reads the member's rows, A removes the
    membership and publishes, then B stores what it read. B's next update must not use that copy."""
    w, b = two_workers
    pending = await w.join_pending()
    await w.org().decide_join(w.secretary, await w.membership_id(pending.person_id), approve=True)
    member = await w.resolve()
    ids_b = w.ids(b)
    original = ids_b._actor
    raced = False

    async def actor_then_change(conn, row):  # type: ignore[no-untyped-def]
        nonlocal raced
        actor = await original(conn, row)
        if not raced:
            raced = True
            await w.org().leave(member, w.branch_id)  # on A, between B's read and B's store
        return actor

    monkeypatch.setattr(ids_b, "_actor", actor_then_change)
    assert (await w.resolve(app=b)).is_member  # what B read before the change
    assert raced
    assert not (await w.resolve(app=b)).is_member
