"""The committee's view of opinions: open items per branch and how long they have waited (FakeClock), the
export's per-branch summary, and what /xoadulieu leaves of an opinion."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select

from bot.features.dialogue.exports import DialogueExport
from bot.features.dialogue.models import DialogueItem, DialogueSeal
from bot.features.dialogue.service import DialogueService, SendInput
from bot.messages import UserRef
from bot.services.actor import Actor
from bot.services.errors import PermissionDenied
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from storage.models.people import Membership
from tests.conftest import ADMIN_TG_ID
from tests.dialogue.conftest import committee_admin


async def _member(bot, branch_id: int, uid: str, name: str) -> Actor:  # type: ignore[no-untyped-def]
    ids = bot.app.services.get(IdentityService)
    org = bot.app.services.get(OrgService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    joiner = await ids.resolve(UserRef("telegram", uid, name), uid)
    await org.redeem(joiner, (await org.create_code(admin, kind="member", branch_id=branch_id)).code)
    async with bot.app.db.session() as s:
        mid = (await s.execute(select(Membership.id).where(Membership.person_id == joiner.person_id))).scalar_one()
    await org.decide_join(admin, mid, True)
    actor = await ids.actor_for_person(joiner.person_id)
    assert actor is not None
    return actor


async def test_open_items_per_branch_and_their_waiting_days(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    ids = bot.app.services.get(IdentityService)
    org = bot.app.services.get(OrgService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    thon2 = await org.create_branch(admin, branch.org_id, "Chi bộ thôn 2")
    other_org = await org.create_org(admin, "Đảng bộ phường Bắc Sơn")
    far = await org.create_branch(admin, other_org.id, "Chi bộ khu 5")
    boss, boss_actor = await committee_admin(bot, fake_tg, branch)
    svc = bot.app.services.get(DialogueService)
    await svc.set_anonymous(boss_actor, branch.org_id, True)
    a = await _member(bot, branch.branch_id, "8001", "Thành viên A")
    b = await _member(bot, branch.branch_id, "8002", "Thành viên B")
    c = await _member(bot, thon2.id, "8003", "Thành viên C")
    d = await _member(bot, far.id, "8004", "Thành viên D")

    first = await svc.submit(a, SendInput("branch", "opinion", False, "Ý kiến ngày đầu"))
    await svc.submit(b, SendInput("committee", "proposal", True, "Kiến nghị ẩn danh ngày đầu"))
    clock.advance(timedelta(days=3))
    await svc.submit(c, SendInput("committee", "opinion", False, "Ý kiến thôn 2"))
    await svc.submit(d, SendInput("branch", "opinion", False, "Ý kiến đảng bộ khác"))  # never in this view
    answered = await svc.submit(a, SendInput("branch", "proposal", False, "Sẽ được trả lời"))
    clock.advance(timedelta(days=2))
    await svc.answer(branch.secretary_actor, answered.id, "Đã xong.")

    org_row, per_branch, committee_open, anon = await svc.overview(boss_actor, branch.org_id)
    assert org_row.name == "Đảng bộ xã An Bình" and anon
    assert [(b.name, b.open, b.oldest_days) for b in per_branch] == [
        ("Chi bộ thôn 1", 2, 5), ("Chi bộ thôn 2", 1, 2)]
    assert committee_open == 2  # the anonymous one of thôn 1 and thôn 2's
    numbers = [first.number, answered.number]
    assert numbers == [1, 4]  # numbered per đảng bộ: the other đảng bộ's item did not take a number here

    await boss.send("/hopthu")
    view = await boss.expect("Ý kiến chưa trả lời theo chi bộ")
    assert "• Chi bộ thôn 1: 2 chưa trả lời (lâu nhất 5 ngày)" in view.text
    assert "• Chi bộ thôn 2: 1 chưa trả lời (lâu nhất 2 ngày)" in view.text
    assert "Ý kiến gửi cấp uỷ chưa trả lời: 2" in view.text and "Chi bộ khu 5" not in view.text
    await boss.press("📥 Chi bộ thôn 1", message=view)  # the open opinions to thôn 1's secretary
    branch_inbox = await boss.expect("Ý kiến gửi bí thư chi bộ: 2")
    assert "Ý kiến số 1/2026 — Thành viên A — đã nhận — chờ 5 ngày" in branch_inbox.text

    data, name, _branches = await bot.app.services.get(DialogueExport).workbook(boss_actor, branch.org_id)
    assert name.startswith("ykien-") and name.endswith(".xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    summary = [list(r) for r in wb["Tổng hợp"].iter_rows(values_only=True)]
    assert summary[0] == ["Chi bộ", "Ý kiến", "Chưa trả lời", "Đã trả lời", "Đã rút", "Chờ lâu nhất (ngày)"]
    assert summary[1:] == [["Chi bộ thôn 1", 3, 2, 1, 0, 5], ["Chi bộ thôn 2", 1, 1, 0, 0, 2]]
    items = [list(r) for r in wb["Ý kiến"].iter_rows(values_only=True)]
    assert [r[0] for r in items[1:]] == ["1/2026", "2/2026", "3/2026", "4/2026"]
    assert items[2][5] == "Ẩn danh" and items[1][5] == "Thành viên A"
    assert items[1][1].strftime("%d/%m/%Y") == "02/03/2026"  # a real date, local
    assert wb["Ý kiến"].freeze_panes == "A2"

    # Another đảng bộ's committee admin sees none of it.
    other_boss = await ids.resolve(UserRef("telegram", "9555", "Cấp uỷ khác"), "9555")
    await org.redeem(other_boss, (await org.create_code(admin, kind="committee_admin", org_id=other_org.id)).code)
    other_boss = await ids.actor_for_person(other_boss.person_id)
    with pytest.raises(PermissionDenied):
        await svc.overview(other_boss, branch.org_id)
    with pytest.raises(PermissionDenied):
        await bot.app.services.get(DialogueExport).workbook(other_boss, branch.org_id)
    with pytest.raises(PermissionDenied):
        await svc.item(other_boss, first.id)


async def test_erasure_removes_the_words_and_the_sealed_link_but_keeps_the_numbered_row(bot, fake_tg, branch,
                                                                                        clock):
    from bot.features.dialogue.erasure import _erase_dialogue

    _boss, boss_actor = await committee_admin(bot, fake_tg, branch)
    svc = bot.app.services.get(DialogueService)
    await svc.set_anonymous(boss_actor, branch.org_id, True)
    a = await _member(bot, branch.branch_id, "8101", "Người xoá")
    anon = await svc.submit(a, SendInput("committee", "opinion", True, "Lời riêng ẩn danh"))
    named = await svc.submit(a, SendInput("branch", "opinion", False, "Lời riêng có tên"))
    await svc.answer(branch.secretary_actor, named.id, "Đã nhận.")
    async with bot.app.db.session() as s:
        erased = await _erase_dialogue(s, a.person_id, bot.app.services.deps)
    assert erased.texts == {"Lời riêng ẩn danh", "Lời riêng có tên"}
    async with bot.app.db.session() as s:
        rows = {r.id: r for r in (await s.execute(select(DialogueItem))).scalars().all()}
        seals = (await s.execute(select(DialogueSeal))).scalars().all()
    assert seals == []
    assert (rows[anon.id].text, rows[anon.id].status, rows[anon.id].erased) == ("", "withdrawn", True)
    assert (rows[named.id].text, rows[named.id].status, rows[named.id].number) == ("", "answered", 2)
    assert [i.id for i in await svc.mine(a)] == [named.id]  # the anonymous one is no longer theirs to see


async def test_the_inbox_is_paged_open_items_first(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    boss, boss_actor = await committee_admin(bot, fake_tg, branch)
    svc = bot.app.services.get(DialogueService)
    a = await _member(bot, branch.branch_id, "8201", "Thành viên E")
    items = [await svc.submit(a, SendInput("committee", "opinion", False, f"Ý kiến {n}")) for n in range(1, 8)]
    await svc.answer(boss_actor, items[0].id, "Đã trả lời")
    first, total = await svc.inbox(boss_actor, "committee", branch.org_id, 0)
    second, _total = await svc.inbox(boss_actor, "committee", branch.org_id, 1)
    assert total == 7
    assert [v.item.number for v in first] == [2, 3, 4, 5, 6]
    assert [v.item.number for v in second] == [7, 1]  # the answered one comes after every open one
    await boss.send("/hopthu")
    await boss.press("Hộp thư cấp uỷ", message=await boss.expect("Ý kiến chưa trả lời theo chi bộ"))
    page = await boss.expect("Ý kiến gửi cấp uỷ: 7")
    assert "Ý kiến số 6/2026" in page.text and "Ý kiến số 7/2026" not in page.text
    await boss.press("Sau", message=page)
    page2 = await boss.expect("Ý kiến số 7/2026")
    assert "Ý kiến số 1/2026 — Thành viên E — đã trả lời" in page2.text and "Trước" in str(page2.buttons)


async def test_a_member_cannot_read_or_withdraw_another_members_opinion(bot, fake_tg, branch, clock):
    _boss, boss_actor = await committee_admin(bot, fake_tg, branch)
    svc = bot.app.services.get(DialogueService)
    await svc.set_anonymous(boss_actor, branch.org_id, True)
    a = await _member(bot, branch.branch_id, "8301", "Thành viên F")
    b = await _member(bot, branch.branch_id, "8302", "Thành viên G")
    for anonymous in (False, True):
        item = await svc.submit(a, SendInput("committee", "opinion", anonymous, "Của riêng F"))
        for attempt in (svc.item(b, item.id), svc.withdraw(b, item.id), svc.answer(b, item.id, "x"),
                        svc.mark_handling(branch.secretary_actor, item.id)):
            with pytest.raises(PermissionDenied):
                await attempt
        assert (await svc.item(a, item.id)).is_sender  # the sender reads their own, anonymous or not
    assert [i.text for i in await svc.mine(b)] == []
    assert len(await svc.mine(a)) == 2
