"""The branch directory's one fallback: a branch without a secretary is managed by its committee admins."""

from __future__ import annotations

from bot.features.branch_settings.service import BranchSettingsService
from bot.messages import UserRef
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from tests.conftest import ADMIN_TG_ID


async def test_branch_without_secretary_sends_its_reminders_to_the_committee_admin(bot, fake_tg):
    fake_tg.limits.enabled = False
    ids, org = bot.app.services.get(IdentityService), bot.app.services.get(OrgService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    party = await org.create_org(admin, "Đảng bộ xã An Bình")
    branch = await org.create_branch(admin, party.id, "Chi bộ chưa có bí thư")
    invite = await org.create_code(admin, kind="committee_admin", org_id=party.id)
    committee = fake_tg.user(9301, "Cấp ủy Hà")
    await committee.send(f"/start {invite.code}")
    await committee.expect("quản trị viên của", "Đảng bộ xã An Bình")
    # 02/03 09:00 is seven days before a meeting on the 9th.
    await bot.app.services.get(BranchSettingsService).update(admin, branch.id, meeting_day=9, reminder_time="06:00")
    await bot.tick(only=["secretary_reminders"])
    await committee.expect("còn 7 ngày nữa đến buổi sinh hoạt định kỳ", "19:30 09/03/2026")
