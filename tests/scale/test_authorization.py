"""The authorization matrix: every privileged service verb against every role, in one table.

Services are called directly (no handler in between), so a hidden menu cannot hide a missing check.
"Allowed" means the call succeeds; "denied" means PermissionDenied and nothing changed.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.delivery import Capabilities, SentMessage
from bot.features.contests.service import ContestInput, Contests, EntryInput
from bot.features.pledges.history import PledgeHistory
from bot.features.pledges.models import Pledge, PledgeVersion
from bot.features.pledges.review import PledgeReviewing
from bot.features.pledges.settings import PledgeSettings
from bot.features.yearfile.service import YearFileService
from bot.messages import ChatRef, Inbound, MediaRef, Reply, UserRef
from bot.services.actor import Actor
from bot.services.errors import PermissionDenied
from bot.services.identity import IdentityService
from bot.services.menus import member_menu, secretary_menu
from bot.services.org import OrgService
from storage.models.joining import JoinCode
from storage.models.org import Branch, Organization
from storage.models.people import Identity, Membership
from tests.conftest import ADMIN_TG_ID

ROLES = ["stranger", "pending", "member", "member_other_branch", "secretary_other_branch", "deputy",
         "secretary", "committee_other_org", "committee", "system_admin"]
MANAGERS = {"deputy", "secretary", "committee", "system_admin"}
COMMITTEE = {"committee", "system_admin"}
ADMIN = {"system_admin"}

# action -> roles allowed (the target is always branch A1 of đảng bộ A, or đảng bộ A itself)
MATRIX: dict[str, set[str]] = {
    "approve_join": MANAGERS,
    "reject_join": MANAGERS,
    "create_join_code": MANAGERS,
    "list_members": MANAGERS,
    "list_pending": MANAGERS,
    "revoke_code": MANAGERS,
    "create_branch": COMMITTEE,
    "invite_secretary": COMMITTEE,
    "invite_deputy": COMMITTEE,
    "create_org": ADMIN,
    "invite_committee_admin": ADMIN,
    "revoke_committee_invite": ADMIN,
    "set_review_window": MANAGERS,
    # Pledges: a member's pledge is decided by the branch's managers; the secretary's own pledge by the
    # deputy or the committee, never by the secretary (nobody approves their own item).
    "approve_pledge": MANAGERS,
    "return_pledge": MANAGERS,
    "approve_secretary_pledge": MANAGERS - {"secretary"},
    "return_secretary_pledge": MANAGERS - {"secretary"},
    "pending_pledges": MANAGERS,
    "pledge_history": MANAGERS | {"member"},
    # The year file of the member of A1 (the "member" role): the member, the branch's managers, its committee.
    "read_year_file": MANAGERS | {"member"},
    "export_year_file": MANAGERS | {"member"},
    "list_year_files": MANAGERS,
    "branch_year_workbook": MANAGERS,
    # Contests of đảng bộ A: its committee runs them; only members of A's branches enter; a judge named for
    # one contest scores that contest only (the member of A1 is named judge of contest "judged").
    "contest_open": COMMITTEE,
    "contest_counts": COMMITTEE,
    "contest_results": COMMITTEE,
    "contest_export": COMMITTEE,
    "contest_announce": COMMITTEE,
    "contest_enter": {"member", "member_other_branch", "secretary_other_branch", "deputy", "secretary"},
    "contest_score": COMMITTEE,
    "contest_score_as_named_judge": COMMITTEE | {"member"},
}


class World:
    def __init__(self, app: App) -> None:
        self.app = app
        self.ids = app.services.get(IdentityService)
        self.org = app.services.get(OrgService)
        self.actors: dict[str, Actor] = {}
        self._n = 0

    async def person(self, name: str) -> Actor:
        self._n += 1
        uid = str(60_000 + self._n)
        return await self.ids.resolve(UserRef("telegram", uid, name), uid)

    async def redeem(self, actor: Actor, code: str) -> Actor:
        await self.org.redeem(actor, code)
        refreshed = await self.ids.actor_for_person(actor.person_id)
        assert refreshed is not None
        return refreshed

    async def build(self) -> None:
        admin = await self.ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
        self.admin = admin
        org_a = await self.org.create_org(admin, "Đảng bộ A")
        org_b = await self.org.create_org(admin, "Đảng bộ B")
        self.org_a, self.org_b = org_a.id, org_b.id
        self.a1 = (await self.org.create_branch(admin, org_a.id, "Chi bộ A1")).id
        self.a2 = (await self.org.create_branch(admin, org_a.id, "Chi bộ A2")).id
        code = self.org.create_code
        sec = await self.redeem(await self.person("Bí thư A1"),
                                (await code(admin, kind="secretary", branch_id=self.a1)).code)
        a = self.actors
        a["secretary"] = sec
        a["deputy"] = await self.redeem(await self.person("Phó bí thư A1"),
                                        (await code(admin, kind="deputy", branch_id=self.a1)).code)
        a["secretary_other_branch"] = await self.redeem(
            await self.person("Bí thư A2"), (await code(admin, kind="secretary", branch_id=self.a2)).code)
        a["committee"] = await self.redeem(await self.person("Cấp ủy A"),
                                           (await code(admin, kind="committee_admin", org_id=org_a.id)).code)
        a["committee_other_org"] = await self.redeem(
            await self.person("Cấp ủy B"), (await code(admin, kind="committee_admin", org_id=org_b.id)).code)
        a["stranger"] = await self.person("Người lạ")
        a["pending"] = await self.redeem(await self.person("Chờ duyệt"),
                                         (await code(sec, kind="member", branch_id=self.a1)).code)
        a["member"] = await self.approved(self.a1, "Đảng viên A1")
        a["member_other_branch"] = await self.approved(self.a2, "Đảng viên A2")
        a["system_admin"] = admin
        assert a["member"].is_member and not a["member"].is_secretary
        assert a["pending"].seats[0].status == "pending"

    async def pending_request(self, branch_id: int) -> int:
        manager = self.admin
        joiner = await self.person("Người xin vào")
        code = await self.org.create_code(manager, kind="member", branch_id=branch_id)
        await self.org.redeem(joiner, code.code)
        async with self.app.db.session() as s:
            return (await s.execute(select(Membership.id).where(Membership.person_id == joiner.person_id))
                    ).scalar_one()

    async def approved(self, branch_id: int, name: str) -> Actor:
        joiner = await self.person(name)
        await self.org.redeem(joiner, (await self.org.create_code(self.admin, kind="member",
                                                                   branch_id=branch_id)).code)
        async with self.app.db.session() as s:
            mid = (await s.execute(select(Membership.id).where(Membership.person_id == joiner.person_id))
                   ).scalar_one()
        await self.org.decide_join(self.admin, mid, True)
        refreshed = await self.ids.actor_for_person(joiner.person_id)
        assert refreshed is not None
        return refreshed

    async def counts(self) -> tuple[int, ...]:
        async with self.app.db.session() as s:
            out = []
            for model in (Organization, Branch, JoinCode, Membership):
                out.append((await s.execute(select(func.count()).select_from(model))).scalar_one())
            revoked = (await s.execute(select(func.count()).select_from(JoinCode)
                                       .where(JoinCode.revoked_at.is_not(None)))).scalar_one()
            active = (await s.execute(select(func.count()).select_from(Membership)
                                      .where(Membership.status != "pending"))).scalar_one()
            return (*out, revoked, active)

    async def submitted_pledge(self, author: Actor) -> tuple[int, int]:
        """The author's pledge in A1, (re)submitted as a new version: (pledge id, version)."""
        async with self.app.db.session() as s:
            p = (await s.execute(select(Pledge).where(Pledge.person_id == author.person_id))).scalar_one_or_none()
            if p is None:
                p = Pledge(person_id=author.person_id, branch_id=self.a1, org_id=self.org_a, year=2026)
            p.status, p.version, p.approved_version, p.draft = "submitted", p.version + 1, None, None
            s.add(p)
            await s.flush()
            s.add(PledgeVersion(pledge_id=p.id, version=p.version, content={"items": []}))
            return int(p.id or 0), p.version

    async def act(self, action: str, actor: Actor) -> None:
        """Prepare a fresh target (made by the system admin), then attempt ``action`` as ``actor``."""
        org = self.org
        if action.endswith("_pledge") and action != "pending_pledges":
            author = self.actors["secretary" if "secretary" in action else "member"]
            pledge_id, version = await self.submitted_pledge(author)
            self._before = await self.counts()
            reviewing = self.app.services.get(PledgeReviewing)
            if action.startswith("approve"):
                await reviewing.approve(actor, pledge_id, version)
            else:
                await reviewing.return_pledge(actor, pledge_id, version, "cần rõ hơn")
        elif action == "pending_pledges":
            self._before = await self.counts()
            await self.app.services.get(PledgeReviewing).pending(actor, self.a1)
        elif action == "pledge_history":
            pledge_id, _version = await self.submitted_pledge(self.actors["member"])
            self._before = await self.counts()
            await self.app.services.get(PledgeHistory).history(actor, pledge_id)
        elif action in ("approve_join", "reject_join"):
            mid = await self.pending_request(self.a1)
            before = await self.counts()
            self._before = before
            await org.decide_join(actor, mid, action == "approve_join")
        elif action == "revoke_code":
            code = (await org.create_code(self.admin, kind="member", branch_id=self.a1)).code
            self._before = await self.counts()
            await org.revoke_code(actor, code)
        elif action == "revoke_committee_invite":
            code = (await org.create_code(self.admin, kind="committee_admin", org_id=self.org_a)).code
            self._before = await self.counts()
            await org.revoke_code(actor, code)
        else:
            self._before = await self.counts()
            if action == "create_join_code":
                await org.create_code(actor, kind="member", branch_id=self.a1)
            elif action == "list_members":
                await org.members(actor, self.a1)
            elif action == "list_pending":
                await org.pending_requests(actor, self.a1)
            elif action == "create_branch":
                await org.create_branch(actor, self.org_a, "Chi bộ mới")
            elif action == "invite_secretary":
                await org.create_code(actor, kind="secretary", branch_id=self.a1)
            elif action == "invite_deputy":
                await org.create_code(actor, kind="deputy", branch_id=self.a1)
            elif action == "create_org":
                await org.create_org(actor, "Đảng bộ mới")
            elif action == "invite_committee_admin":
                await org.create_code(actor, kind="committee_admin", org_id=self.org_a)
            elif action == "set_review_window":
                await self.app.services.get(PledgeSettings).set_review_window(
                    actor, self.a1, date(2026, 11, 1), date(2026, 12, 20))
            elif action in ("read_year_file", "export_year_file", "list_year_files", "branch_year_workbook"):
                await self.year_file(action, actor)
            elif action.startswith("contest_"):
                await self.contest(action, actor)
            else:
                raise AssertionError(action)


    async def contest(self, action: str, actor: Actor) -> None:
        contests = self.app.services.get(Contests)
        terms = ContestInput(title="Hội thi", rules="", kinds=["text"], max_mb=5, deadline=date(2026, 12, 31),
                             per="member", criteria=[["Nội dung", 10]])
        if action == "contest_open":
            await contests.open(actor, self.org_a, terms)
            return
        contest = await contests.open(self.admin, self.org_a, terms)
        cid = contest.id or 0
        if action == "contest_enter":
            await contests.submit(actor, cid, EntryInput(kind="text", text="Bài dự thi"))
            return
        author = self.actors["secretary"]
        entry = await contests.submit(author, cid, EntryInput(kind="text", text="Bài dự thi"))
        if action == "contest_counts":
            await contests.branch_counts(actor, cid)
        elif action == "contest_results":
            await contests.results(actor, cid)
        elif action == "contest_export":
            await contests.workbook(actor, cid)
        elif action == "contest_announce":
            await contests.score(self.admin, entry.id or 0, [8])
            await contests.announce_results(actor, cid)
        else:
            if action == "contest_score_as_named_judge":
                await contests.name_judge(self.admin, cid, self.actors["member"].person_id)
            await contests.score(actor, entry.id or 0, [7])

    async def year_file(self, action: str, actor: Actor) -> None:
        years = self.app.services.get(YearFileService)
        member = self.actors["member"].person_id
        if action == "read_year_file":
            await years.year_file(actor, member, self.a1, 2026)
        elif action == "export_year_file":
            await years.exported(actor, member, self.a1, 2026, "docx")
        elif action == "list_year_files":
            await years.members(actor, self.a1)
        else:
            await years.branch_files(actor, self.a1, 2026)


@pytest.fixture
async def world(settings, clock):
    app = await App.create(settings, clock=clock)
    w = World(app)
    await w.build()
    yield w
    await app.close()


async def test_authorization_matrix(world: World, caplog):
    assert set(ROLES) == set(world.actors)
    wrong: list[str] = []
    for action, role in itertools.product(MATRIX, ROLES):
        expected = role in MATRIX[action]
        try:
            await world.act(action, world.actors[role])
            allowed = True
        except PermissionDenied:
            allowed = False
            if await world.counts() != world._before:
                wrong.append(f"{action} by {role}: denied but the database changed")
        if allowed != expected:
            wrong.append(f"{action} by {role}: {'allowed' if allowed else 'denied'}, expected "
                         f"{'allowed' if expected else 'denied'}")
    assert wrong == []
    # Refusals are logged (forged buttons end at the service and leave a trace).
    assert sum("permission denied" in r.getMessage() for r in caplog.records) == sum(
        len(set(ROLES) - allowed) for allowed in MATRIX.values())


# The dry run: /help lists a command exactly when its audience admits the role (command audience -> roles).
MEMBERS = {"member", "member_other_branch", "secretary_other_branch", "deputy", "secretary", "system_admin"}
AUDIENCES: dict[str, set[str]] = {
    "all": set(ROLES),
    "member": MEMBERS,
    "manager": MANAGERS | {"secretary_other_branch", "committee_other_org"},
    "committee": COMMITTEE | {"committee_other_org"},
    "admin": ADMIN,
}
SECRETARY_MENU = {"deputy", "secretary", "secretary_other_branch"}  # the system admin seeds no seat: no menu


class RecordingChannel:
    name = "telegram"
    caps = Capabilities(buttons=True, edit=True, max_text=4096, media_upload=True, media_by_url=False,
                        reply_menu=True)

    def __init__(self) -> None:
        self.replies: list[Reply] = []

    async def deliver(self, chat: ChatRef, reply: Reply) -> SentMessage:
        self.replies.append(reply)
        return SentMessage([str(len(self.replies))])

    async def fetch_media(self, media: MediaRef) -> bytes:
        return b""

    async def ack(self, inbound: Inbound, text: str = "") -> None:
        return None


async def _help_as(world: World, actor: Actor, args: str = "") -> Reply:
    async with world.app.db.session() as s:
        uid = (await s.execute(select(Identity.external_id).where(Identity.person_id == actor.person_id))
               ).scalars().first()
    assert uid is not None
    channel = RecordingChannel()
    await world.app.handle(Inbound("telegram", ChatRef("telegram", uid), UserRef("telegram", uid, actor.display_name),
                                   text=f"/help {args}".strip(), command="help", args=args), channel)
    assert len(channel.replies) == 1, channel.replies
    return channel.replies[0]


async def test_help_lists_only_the_commands_each_role_may_use(world: World):
    specs = [spec for spec in world.app.registry.unique_commands() if spec.help is not None]
    assert {spec.audience for spec in specs} == set(AUDIENCES)  # every audience is exercised
    wrong: list[str] = []
    for role in ROLES:
        reply = await _help_as(world, world.actors[role])
        more = await _help_as(world, world.actors[role], "them")  # the "Xem thêm" part
        listed = {line.split(" ", 1)[0][1:] for line in (reply.text + "\n" + more.text).splitlines()
                  if line.startswith("/")}
        expected = {spec.name for spec in specs if role in AUDIENCES[spec.audience]}
        if listed != expected:
            wrong.append(f"{role}: extra {sorted(listed - expected)}, missing {sorted(expected - listed)}")
        menu = secretary_menu() if role in SECRETARY_MENU else member_menu() if role in MEMBERS - ADMIN else None
        if reply.menu != menu:
            wrong.append(f"{role}: menu {reply.menu}")
    assert wrong == []
