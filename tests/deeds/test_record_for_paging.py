"""/ghiho in a big branch: the member list is paged and searchable by typed name (accents optional), on Telegram
and on Zalo (numbered choices)."""

from __future__ import annotations

import pytest

from bot.messages import UserRef
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from tests.conftest import ADMIN_TG_ID
from tests.deeds.conftest import add_phoneless_member

NAMES = [f"Hộ Viên {i:02d}" for i in range(1, 43)] + ["Nguyễn Thị Lành", "Trần Văn Lâm", "Phạm Thị Hoà"]


async def _manager(kit):  # type: ignore[no-untyped-def]
    """The secretary on Telegram; on Zalo a deputy secretary who joined by typing the invite code."""
    if kit.channel == "telegram":
        return kit.branch.secretary
    admin = await kit.bot.app.services.get(IdentityService).resolve(
        UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    invite = await kit.bot.app.services.get(OrgService).create_code(admin, kind="deputy",
                                                                    branch_id=kit.branch.branch_id)
    deputy = kit.zalo_user("7301", "Lê Phó")
    await deputy.send(invite.code)
    await deputy.expect("phó bí thư")
    return deputy


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_ghiho_pages_and_search_with_45_members(kit):
    kit.fake_tg.limits.enabled = False
    for name in NAMES:
        await add_phoneless_member(kit.bot, kit.branch, name)
    sec = await _manager(kit)
    total = 46 if kit.channel == "telegram" else 47  # the 45, the secretary (and the Zalo deputy)
    pages = (total + 7) // 8
    await sec.send("/ghiho")
    first = await sec.expect("Ghi hộ việc tốt cho đảng viên nào?", f"Chi bộ có {total} đảng viên",
                             f"Trang 1/{pages}", "gõ không dấu")
    assert len(first.buttons) == 9 and first.buttons[-1] == "Trang sau ▶"
    await sec.press("Trang sau ▶", message=first)
    second = await sec.expect(f"Trang 2/{pages}")
    assert not set(second.buttons[:8]) & set(first.buttons[:8])
    await sec.press("◀ Trang trước", message=second)
    again = await sec.expect(f"Trang 1/{pages}")
    assert again.buttons == first.buttons
    for page in range(2, pages + 1):
        await sec.press("Trang sau ▶")
        last = await sec.expect(f"Trang {page}/{pages}")
    assert len(last.buttons) == total - 8 * (pages - 1) + 1 and last.buttons[-1] == "◀ Trang trước"
    # Typed without accents: "lam" finds "Trần Văn Lâm" only.
    await sec.send("lam")
    found = await sec.expect("Đảng viên có tên chứa “lam”: 1.")
    assert found.buttons == ["Trần Văn Lâm", "Xem tất cả đảng viên"]
    await sec.send("xyz")
    nothing = await sec.expect("Không có đảng viên nào có tên chứa “xyz”", "Đảng viên có tên chứa “lam”: 1.")
    assert nothing.buttons == found.buttons
    await sec.send("LAN")  # "Nguyễn Thị Lan" and "Nguyễn Thị Lành"
    two = await sec.expect("Đảng viên có tên chứa “LAN”: 2.")
    assert sorted(two.buttons[:2]) == ["Nguyễn Thị Lan", "Nguyễn Thị Lành"]
    await sec.press("Xem tất cả đảng viên", message=two)
    await sec.expect(f"Chi bộ có {total} đảng viên", f"Trang 1/{pages}")
    await sec.send("<b>lâm")  # typed markup is escaped, not applied
    await sec.expect("Không có đảng viên nào có tên chứa “<b>lâm”")
    await sec.send("Lâm")
    await sec.expect("Đảng viên có tên chứa “Lâm”: 1.")
    await sec.press("Trần Văn Lâm")
    await sec.expect("Đồng chí Trần Văn Lâm đã làm việc tốt gì?")


async def test_ghiho_with_a_name_typed_after_the_command(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    for name in NAMES:
        await add_phoneless_member(bot, branch, name)
    sec = branch.secretary
    await sec.send("/ghiho hoa")
    found = await sec.expect("Đảng viên có tên chứa “hoa”: 1.")
    await sec.press("Phạm Thị Hoà", message=found)
    await sec.expect("Đồng chí Phạm Thị Hoà đã làm việc tốt gì?")
