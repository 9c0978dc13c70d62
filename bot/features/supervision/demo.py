"""Demo data for supervision visits (``hocbac demo``): one concluded visit to the home branch with findings
and two tasks to fix, and one visit planned ahead. The demo has no committee persona yet: the lead calls
:func:`seed_supervision` from bot/devtools/demo/seed_features.py with the committee (or system) admin."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import local_today
from bot.features.supervision.service import SupervisionService
from bot.services.actor import Actor
from bot.services.deps import Services

TEAM = "Đ/c Trần Văn Nam (trưởng đoàn), Đ/c Lê Thị Hoa"
FINDINGS = (  # one per item of the Directive 05 checklist: (met, comment)
    (True, "Có kế hoạch năm, ban hành đúng hạn"),
    (False, "Còn đảng viên chưa đăng ký làm theo"),
    (True, "Sinh hoạt đều hằng tháng; có một buổi chuyên đề trong quý"),
    (True, "Việc tốt được xem xét, ghi nhận hằng tháng"),
    (False, "Chưa dùng tài liệu sinh hoạt chuyên đề của đảng uỷ"),
)


async def seed_supervision(services: Services, committee: Actor, branch_id: int,
                           other_branch_id: int | None = None) -> int:
    """Returns the concluded visit's id."""
    svc = services.get(SupervisionService)
    today = local_today(services.deps.clock)
    visit = await svc.plan(committee, branch_id, today - timedelta(days=10), TEAM, None)
    view = await svc.start_recording(committee, int(visit.id or 0))
    for item, (met, comment) in zip(view.items, FINDINGS, strict=False):
        await svc.record_finding(committee, int(item.id or 0), met, comment, None, None)
    await svc.conclude(committee, int(visit.id or 0),
                       "Chi bộ thực hiện cơ bản tốt Chỉ thị 05; cần đôn đốc đăng ký làm theo và dùng tài liệu.",
                       [("Hướng dẫn đảng viên còn lại đăng ký làm theo", today + timedelta(days=3)),
                        ("Dùng tài liệu chuyên đề trong buổi sinh hoạt tới", today + timedelta(days=30))])
    if other_branch_id is not None:
        await svc.plan(committee, other_branch_id, today + timedelta(days=14), TEAM, None)
    return int(visit.id or 0)
