"""/dangky_cho: the pledges waiting for approval, paged; approve from the list, or open one and return it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.features.pledges.models import Pledge, PledgeItem, PledgeVersion
from tests.conftest import TZ
from tests.secretary.helpers import seed_members


async def _submitted(bot, branch, people: list[int]) -> None:  # type: ignore[no-untyped-def]
    """A submitted first version for each person, one minute apart (oldest first)."""
    start = datetime(2026, 3, 1, 8, 0, tzinfo=TZ)
    async with bot.app.db.session() as s:
        for i, pid in enumerate(people):
            at = start + timedelta(minutes=i)
            p = Pledge(person_id=pid, branch_id=branch.branch_id, org_id=branch.org_id, year=2026,
                       status="submitted", version=1, duty="giáo viên", shortcoming="muộn", remedy="sớm",
                       commitment="Tôi xin hứa", submitted_at=at, first_submitted_at=at)
            s.add(p)
            await s.flush()
            item = PledgeItem(pledge_id=p.id, what=f"Việc của người {i + 1}", criterion="đo", when_text="t9")
            s.add(item)
            await s.flush()
            content = {"duty": p.duty, "items": [{"id": item.id, "what": item.what, "criterion": "đo",
                                                  "when": "t9"}],
                       "shortcoming": p.shortcoming, "remedy": p.remedy, "commitment": p.commitment}
            s.add(PledgeVersion(pledge_id=p.id, version=1, content=content, submitted_at=at))


async def test_pending_list_paged_approve_and_open(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    people = await seed_members(bot, fake_tg, branch.branch_id, 750_000, 7)
    await _submitted(bot, branch, people)
    await _submitted(bot, branch, [branch.secretary_actor.person_id])  # the secretary's own: not theirs to approve
    sec = branch.secretary
    await sec.send("/dangky_cho")
    first = await sec.expect("Phiếu đăng ký chờ duyệt", "Chi bộ thôn 1", ": 7", "Trang 1/2")
    assert "1. Đảng viên 0001 — phiếu mới, gửi ngày 01/03/2026" in first.text
    assert "Nguyễn Thị Lan" not in first.text
    assert "✅ Duyệt: Đảng viên 0001" in first.buttons and "📄 Mở: Đảng viên 0005" in first.buttons
    assert "Đảng viên 0006" not in first.text and "Trang sau ▶" in first.buttons
    await sec.press("Trang sau ▶", message=first)
    second = await sec.expect("Trang 2/2")
    assert "6. Đảng viên 0006" in second.text and "7. Đảng viên 0007" in second.text
    assert "◀ Trang trước" in second.buttons and "Trang sau ▶" not in second.buttons
    await sec.press("✅ Duyệt: Đảng viên 0006", message=second)
    await sec.expect("Đã duyệt phiếu của Đảng viên 0006")
    again = await sec.expect("Phiếu đăng ký chờ duyệt", ": 6", "Trang 2/2")
    assert "Đảng viên 0006" not in again.text
    await sec.press("📄 Mở: Đảng viên 0007", message=again)
    card = await sec.expect("Việc của người 7")
    assert card.buttons[:2] == ["✅ Duyệt phiếu", "↩️ Trả lại kèm góp ý"]
    await sec.press("Trả lại kèm góp ý", message=card)
    await sec.expect("Đồng chí Đảng viên 0007 cần sửa gì?")
    await sec.send("việc 1 cần cụ thể hơn")
    await sec.expect("Đã trả lại phiếu của Đảng viên 0007")
    async with bot.app.db.session() as s:
        status = dict((await s.execute(select(Pledge.person_id, Pledge.status))).all())
    assert status[people[5]] == "approved" and status[people[6]] == "returned"
    assert status[branch.secretary_actor.person_id] == "submitted"
    await sec.send("/dangky_cho")
    await sec.expect(": 5")


async def test_nothing_pending(bot, fake_tg, branch):
    await branch.secretary.send("/dangky_cho")
    await branch.secretary.expect("Không có phiếu đăng ký nào chờ đồng chí duyệt")


async def test_the_deputy_gets_the_secretarys_pledge_in_the_list(bot, fake_tg, branch):
    from tests.secretary.test_self_review import _deputy

    fake_tg.limits.enabled = False
    deputy = await _deputy(bot, fake_tg, branch)
    await _submitted(bot, branch, [branch.secretary_actor.person_id])
    await branch.secretary.send("/dangky_cho")
    await branch.secretary.expect("Không có phiếu đăng ký nào chờ đồng chí duyệt")
    await deputy.send("/dangky_cho")
    listed = await deputy.expect("Phiếu đăng ký chờ duyệt", "1. Nguyễn Thị Lan — phiếu mới")
    await deputy.press("✅ Duyệt: Nguyễn Thị Lan", message=listed)
    await deputy.expect("Đã duyệt phiếu của Nguyễn Thị Lan")
    await deputy.expect("Không có phiếu đăng ký nào chờ đồng chí duyệt")
    await branch.secretary.expect("được phó bí thư duyệt")
