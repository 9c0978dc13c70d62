"""Nobody reviews their own items: a secretary's pledge and good deeds go to the deputy or the committee.

Found by an attack run: a secretary approved their own pledge and commended their own deed. Now their own
items are not in their review queue, a pressed or forged approve/commend button on them is refused, and the
notices go to whoever may review them (the deputy when the branch has one, else the committee admins).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from bot.features.deeds.callbacks import AcceptAll, ReviewDeed
from bot.features.deeds.models import Deed
from bot.features.pledges.callbacks import DecidePledge
from bot.features.pledges.models import Pledge
from bot.messages import UserRef
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from tests.conftest import ADMIN_TG_ID, TZ, Branch
from tests.pledges.conftest import fill_pledge


async def _committee_admin(bot, fake_tg, branch: Branch, tg_id: int = 5201, name: str = "Đặng Cấp Ủy"):
    admin = await bot.app.services.get(IdentityService).resolve(
        UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    invite = await bot.app.services.get(OrgService).create_code(admin, kind="committee_admin",
                                                                org_id=branch.org_id)
    user = fake_tg.user(tg_id, name)
    await user.send(f"/start {invite.code}")
    await user.expect("quản trị viên")
    return user


async def _deputy(bot, fake_tg, branch: Branch, tg_id: int = 5202, name: str = "Lê Phó"):
    admin = await bot.app.services.get(IdentityService).resolve(
        UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    invite = await bot.app.services.get(OrgService).create_code(admin, kind="deputy", branch_id=branch.branch_id)
    user = fake_tg.user(tg_id, name)
    await user.send(f"/start {invite.code}")
    await user.expect("phó bí thư")
    return user


async def _own_message(user) -> object:
    await user.send("/toi")
    return await user.expect(user.name)


async def test_secretary_pledge_goes_to_the_committee_and_cannot_be_self_approved(bot, fake_tg, branch, caplog):
    fake_tg.limits.enabled = False
    sec = branch.secretary
    cadmin = await _committee_admin(bot, fake_tg, branch)
    await fill_pledge(sec)
    await sec.press("Gửi bí thư")
    await sec.expect("Sau khi gửi, bản đăng ký chờ bí thư duyệt")
    await sec.press("Xác nhận gửi")
    await sec.expect("Đã gửi!")
    # The notice with the approve buttons goes to the committee admin, not to the author.
    notice = await cadmin.expect("Phiếu đăng ký mới cần duyệt", "Nguyễn Thị Lan")
    assert "✅ Duyệt phiếu" in notice.buttons
    async with bot.app.db.session() as s:
        pledge = (await s.execute(select(Pledge))).scalar_one()
    assert not [m for m in sec.bot_events(sec.chat_key) if "Phiếu đăng ký mới cần duyệt" in m.text]
    # The secretary forges the approve and the return buttons on their own pledge: both refused.
    own = await _own_message(sec)
    with caplog.at_level(logging.WARNING):
        await sec.press_data(DecidePledge("ok", pledge.id, pledge.version).pack(), own)
        await sec.expect("Đồng chí không thể tự duyệt phiếu đăng ký của mình")
        await sec.press_data(DecidePledge("back", pledge.id, pledge.version).pack(), own)
        await sec.expect("Đồng chí không thể tự duyệt phiếu đăng ký của mình")
    assert any("self-review refused" in r.message for r in caplog.records)
    async with bot.app.db.session() as s:
        assert (await s.get(Pledge, pledge.id)).status == "submitted"
    # The committee admin approves it.
    await cadmin.press("Duyệt phiếu", message=notice)
    await cadmin.expect("Đã duyệt phiếu của Nguyễn Thị Lan")
    # The notice names who approved it: the committee, not the secretary (who is the author).
    approved_notice = await sec.expect("Phiếu đăng ký năm", "của đồng chí đã được cấp uỷ duyệt")
    assert "bí thư duyệt" not in approved_notice.text
    async with bot.app.db.session() as s:
        approved = await s.get(Pledge, pledge.id)
        assert approved.status == "approved" and approved.decided_by != branch.secretary_actor.person_id


async def test_secretary_pledge_goes_to_the_deputy_when_there_is_one(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    sec = branch.secretary
    cadmin = await _committee_admin(bot, fake_tg, branch)
    deputy = await _deputy(bot, fake_tg, branch)
    await fill_pledge(sec)
    await sec.press("Gửi bí thư")
    await sec.expect("Sau khi gửi, bản đăng ký chờ bí thư duyệt")
    await sec.press("Xác nhận gửi")
    await sec.expect("Đã gửi!")
    await deputy.expect("Phiếu đăng ký mới cần duyệt", "Nguyễn Thị Lan")
    await deputy.press("Duyệt phiếu")
    await deputy.expect("Đã duyệt phiếu của Nguyễn Thị Lan")
    await sec.expect("của đồng chí đã được phó bí thư duyệt")
    for user in (sec, cadmin):
        assert not [m for m in user.bot_events(user.chat_key) if "Phiếu đăng ký mới cần duyệt" in m.text]


async def test_secretary_deed_is_not_in_their_queue_and_the_committee_commends_it(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    sec = branch.secretary
    cadmin = await _committee_admin(bot, fake_tg, branch)
    await sec.send("#viectot Dọn vệ sinh nhà văn hoá thôn")
    await sec.expect("Ghi nhận đây là việc tốt?")
    await sec.press("Có, ghi nhận")
    await sec.expect("Việc tốt đã được lưu")
    async with bot.app.db.session() as s:
        deed = (await s.execute(select(Deed))).scalar_one()
    # Their own review queue does not show it.
    await sec.send("/duyet")
    await sec.expect("Không có việc tốt nào đang chờ duyệt")
    # Forged commend, accept and "accept all" buttons on their own deed do nothing.
    own = await _own_message(sec)
    await sec.press_data(ReviewDeed("feature", deed.id).pack(), own)
    await sec.expect("Đồng chí không thể tự duyệt việc tốt của mình")
    await sec.press_data(ReviewDeed("accept", deed.id).pack(), own)
    await sec.expect("Đồng chí không thể tự duyệt việc tốt của mình")
    await sec.press_data(ReviewDeed("return", deed.id).pack(), own)
    await sec.expect("Đồng chí không thể tự duyệt việc tốt của mình")
    await sec.press_data(AcceptAll(branch.branch_id, deed.id).pack(), own)
    await sec.expect("Không còn việc nào để ghi nhận")
    async with bot.app.db.session() as s:
        assert (await s.get(Deed, deed.id)).status == "pending"
    # The evening digest goes to the committee admin (the branch has no deputy), not to the author.
    clock.set(datetime(2026, 3, 2, 19, 0, tzinfo=TZ))
    await bot.tick(only=["deeds_digest"])
    await cadmin.expect("Còn 1 việc tốt chờ duyệt", "Nguyễn Thị Lan")
    await cadmin.press("Mở để duyệt")
    card = await cadmin.expect("Dọn vệ sinh nhà văn hoá thôn")
    assert "🌟 Biểu dương" in card.buttons
    await cadmin.press("Biểu dương", message=card)
    await cadmin.expect("Đã biểu dương: Nguyễn Thị Lan")
    await sec.expect("đã được chi bộ biểu dương")
    assert not [m for m in sec.bot_events(sec.chat_key) if "việc tốt chờ duyệt" in m.text]
    async with bot.app.db.session() as s:
        featured = await s.get(Deed, deed.id)
        assert featured.status == "featured" and featured.reviewed_by != branch.secretary_actor.person_id
