"""A join code never lowers a role, and the wrong-code lockout survives /xoadulieu.

Found by an attack run: a secretary who typed their own branch's member code became a pending member (the
branch lost its manager); and erasing one's data reset the lockout on wrong codes, giving a guesser fresh
attempts.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.messages import UserRef
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from storage.models.joining import JoinCode
from storage.models.people import Membership, OrgRole
from tests.conftest import ADMIN_TG_ID, join_member, seed_branch


async def _membership(bot, person_id: int, branch_id: int) -> tuple[str, str] | None:
    async with bot.app.db.session() as s:
        m = (await s.execute(select(Membership).where(Membership.person_id == person_id,
                                                      Membership.branch_id == branch_id))).scalar_one_or_none()
        return (m.role, m.status) if m else None


async def _uses(bot, code: str) -> int:
    async with bot.app.db.session() as s:
        return (await s.execute(select(JoinCode.uses).where(JoinCode.code == code))).scalar_one()


async def _person_id(bot, tg_id: int) -> int:
    actor = await bot.app.services.get(IdentityService).resolve(
        UserRef("telegram", str(tg_id), "x"), str(tg_id))
    return actor.person_id


async def test_secretary_typing_own_member_code_stays_secretary(bot, fake_tg, branch):
    sec, me = branch.secretary, branch.secretary_actor.person_id
    code = await branch.join_code(bot)
    await sec.send(f"/start {code}")
    await sec.expect("Đồng chí đã là bí thư chi bộ này", branch.name)
    await sec.send(code.lower())  # typed as a plain message, the other path into a join
    await sec.expect("Đồng chí đã là bí thư chi bộ này")
    await sec.send(f"/thamgia {code}")
    await sec.expect("Đồng chí đã là bí thư chi bộ này")
    assert await _membership(bot, me, branch.branch_id) == ("secretary", "active")
    assert await _uses(bot, code) == 0  # nothing happened, so the code was not spent either
    # The branch still has its manager: joiners reach the secretary, who approves.
    an = fake_tg.user(5101, "Trần Văn An")
    await an.send(f"/start {code}")
    await sec.expect("xin tham gia", "Trần Văn An")
    await sec.press("Duyệt")
    await an.expect("đã được duyệt")


async def test_deputy_invite_does_not_demote_a_secretary(bot, fake_tg, branch):
    org = bot.app.services.get(OrgService)
    admin = await bot.app.services.get(IdentityService).resolve(
        UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    invite = await org.create_code(admin, kind="deputy", branch_id=branch.branch_id)
    await branch.secretary.send(f"/start {invite.code}")
    await branch.secretary.expect("Đồng chí đã là bí thư chi bộ này")
    assert await _membership(bot, branch.secretary_actor.person_id, branch.branch_id) == ("secretary", "active")
    assert await _uses(bot, invite.code) == 0  # the invite still works for the deputy it was meant for
    deputy = fake_tg.user(5102, "Lê Phó")
    await deputy.send(f"/start {invite.code}")
    await deputy.expect("Đồng chí đã là phó bí thư")


async def test_member_typing_the_code_again_is_told_and_nothing_changes(bot, fake_tg, branch):
    an = await join_member(bot, fake_tg, branch, 5103, "Trần Văn An")
    code = await branch.join_code(bot)
    await an.send(f"/start {code}")
    await an.expect("Đồng chí đã là đảng viên của chi bộ này", branch.name)
    assert await _membership(bot, await _person_id(bot, 5103), branch.branch_id) == ("member", "active")
    assert await _uses(bot, code) == 0


async def test_committee_admin_and_other_secretary_keep_their_roles_when_joining(bot, fake_tg, branch):
    org = bot.app.services.get(OrgService)
    admin = await bot.app.services.get(IdentityService).resolve(
        UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    # A committee admin of the đảng bộ joins the branch as a member: they stay committee admin.
    invite = await org.create_code(admin, kind="committee_admin", org_id=branch.org_id)
    cadmin = fake_tg.user(5104, "Đặng Cấp Ủy")
    await cadmin.send(f"/start {invite.code}")
    await cadmin.expect("quản trị viên")
    await cadmin.send(f"/start {await branch.join_code(bot)}")
    await cadmin.expect("đã được gửi tới bí thư")
    await branch.secretary.expect("xin tham gia", "Đặng Cấp Ủy")
    cadmin_id = await _person_id(bot, 5104)
    async with bot.app.db.session() as s:
        roles = (await s.execute(select(OrgRole.org_id).where(OrgRole.person_id == cadmin_id))).scalars().all()
    assert list(roles) == [branch.org_id]
    # The secretary of another branch asks to join this one: their own seat is untouched.
    other = await seed_branch(bot, fake_tg, org_name="Đảng bộ phường B", branch_name="Chi bộ khu 5",
                              secretary_id=9201, secretary_name="Vũ Minh")
    await other.secretary.send(f"/start {await branch.join_code(bot)}")
    await other.secretary.expect("đã được gửi tới bí thư")
    vu = other.secretary_actor.person_id
    assert await _membership(bot, vu, other.branch_id) == ("secretary", "active")
    assert await _membership(bot, vu, branch.branch_id) == ("member", "pending")
    refreshed = await bot.app.services.get(IdentityService).actor_for_person(vu)
    assert refreshed is not None and refreshed.managed_branch_ids() == [other.branch_id]
    await other.secretary.send("/thanhvien")
    await other.secretary.expect("Đảng viên (1)", "Vũ Minh")  # still manages Chi bộ khu 5


async def test_wrong_code_lockout_survives_data_erasure(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    mallory = fake_tg.user(5105, "Kẻ Đoán Mã")
    for _ in range(bot.settings.join_max_failures):
        await mallory.send("/thamgia ZZZZ2222")
        await mallory.expect("Mã này không đúng")
    await mallory.send("/thamgia ZZZZ3333")
    await mallory.expect("nhập sai mã quá nhiều lần")
    # Erasing the data makes a new person of the same Telegram account: the lockout still holds.
    await mallory.send("/xoadulieu")
    await mallory.expect("Xoá dữ liệu")
    await mallory.press("Đồng ý xoá dữ liệu")
    await mallory.expect("đã được xoá")
    code = await branch.join_code(bot)
    await mallory.send(f"/start {code}")
    await mallory.expect("nhập sai mã quá nhiều lần")
    await mallory.send("ZZZZ4444")
    await mallory.expect("nhập sai mã quá nhiều lần")
    assert await _uses(bot, code) == 0
    # Another account is not locked by it.
    binh = fake_tg.user(5106, "Lê Bình")
    await binh.send(f"/start {code}")
    await binh.expect("đã được gửi tới bí thư")
