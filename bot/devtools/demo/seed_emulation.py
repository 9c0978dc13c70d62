"""The demo's emulation projects: the đảng bộ's call (the five default kinds), a project of the branch
registered by the secretary, and An's group project with a milestone reported and waiting for her.

There is no committee persona in the demo yet: the call is opened by the demo's administrator, who
administers the đảng bộ (a committee persona, when one is added, should open it instead)."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import local_today
from bot.devtools.demo.cast import AN, SECRETARY, SeedContext


async def seed_emulation(ctx: SeedContext) -> None:
    from bot.features.emulation.service import EmulationService, default_categories

    svc = ctx.services.get(EmulationService)
    today = local_today(ctx.services.deps.clock)
    call = await svc.open_call(ctx.committee, ctx.org_id, title="Công trình, phần việc thi đua chào mừng Đại hội",
                               deadline=today + timedelta(days=30),
                               criteria="Có mục tiêu rõ, sản phẩm đo đếm được, hoàn thành đúng tiến độ",
                               categories=default_categories())
    assert call.id is not None
    secretary = await ctx.actor(SECRETARY)
    await svc.register(secretary, ctx.branch_id, call.id, by_branch=True, name="Nhà văn hoá thôn sáng, xanh",
                       category="Công trình", goal="Sửa mái, trồng cây quanh nhà văn hoá",
                       criteria="Mái mới 200 m2; 30 cây xanh",
                       milestones=[(today + timedelta(days=20), "Xong mái"),
                                   (today + timedelta(days=60), "Trồng đủ 30 cây")])
    an = await ctx.actor(AN)
    road = await svc.register(an, ctx.branch_id, call.id, by_branch=False, name="Tuyến đường hoa liên thôn",
                              category="Mô hình", goal="500 m đường hoa do các hộ tự chăm sóc",
                              criteria="500 m đường; 20 hộ tham gia",
                              milestones=[(today + timedelta(days=2), "Khảo sát tuyến đường"),
                                          (today + timedelta(days=45), "Trồng xong hoa")])
    first = (await svc.my_projects(an))[-1][1][0]
    assert road.id is not None and first.id is not None
    await svc.report(an, first.id, text="Đã khảo sát xong 500 m cùng tổ dân phố",
                     link="https://example.org/album/duong-hoa", media=[])
