"""/baocao names the pledge check-in rate as such and shows the daily reading (text, chart, workbook)."""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import load_workbook

from bot.features.daily.models import DailyRead
from bot.features.pledges.models import Pledge, PledgeCheckin, PledgeCheckinRound
from bot.features.reports.service import ReportService, chart_series
from bot.i18n import use_locale
from bot.services.branch_report import BranchReport
from tests.conftest import TZ
from tests.secretary.helpers import seed_members


async def _seed(bot, fake_tg, branch, clock) -> list[int]:  # type: ignore[no-untyped-def]
    """4 members (the secretary and 3); in March 2 of them read the daily study on 5 days in all, and 1 of
    the 2 pledge check-ins sent was answered."""
    fake_tg.limits.enabled = False
    clock.set(datetime(2026, 3, 20, 9, 0, tzinfo=TZ))
    people = await seed_members(bot, fake_tg, branch.branch_id, 740_000, 3)
    sec = branch.secretary_actor.person_id
    at = datetime(2026, 3, 10, 8, 0, tzinfo=TZ)
    async with bot.app.db.session() as s:
        for day in (2, 3, 4, 5):
            s.add(DailyRead(person_id=people[0], day=date(2026, 3, day), branch_id=branch.branch_id, at=at))
        s.add(DailyRead(person_id=sec, day=date(2026, 3, 6), branch_id=branch.branch_id, at=at))
        s.add(DailyRead(person_id=people[1], day=date(2026, 2, 6), branch_id=branch.branch_id,
                        at=datetime(2026, 2, 6, 8, 0, tzinfo=TZ)))  # February: not in the month
        rnd = PledgeCheckinRound(branch_id=branch.branch_id, year=2026, period="2026-03", created_at=at)
        s.add(rnd)
        pledges = [Pledge(person_id=pid, branch_id=branch.branch_id, org_id=branch.org_id, year=2026,
                          status="approved", version=1, approved_version=1) for pid in people[:2]]
        s.add_all(pledges)
        await s.flush()
        s.add(PledgeCheckin(round_id=rnd.id, pledge_id=pledges[0].id, person_id=people[0], created_at=at,
                            answered_at=at))
        s.add(PledgeCheckin(round_id=rnd.id, pledge_id=pledges[1].id, person_id=people[1], created_at=at))
    return people


async def test_report_labels_check_in_and_shows_reading(bot, fake_tg, branch, clock):
    await _seed(bot, fake_tg, branch, clock)
    sec = branch.secretary
    await sec.send("/baocao")
    await sec.expect("Báo cáo cho khoảng thời gian nào?")
    await sec.press("Tháng này")
    report = await sec.expect("Báo cáo Chi bộ thôn 1", "tháng 3/2026")
    assert "Trả lời kiểm tra việc làm theo: 50%" in report.text
    assert "Đọc Học Bác mỗi ngày: 2/4 đảng viên (50%), bình quân 1,2 ngày đọc mỗi đảng viên" in report.text
    assert "Phản hồi" not in report.text and "hằng ngày:" not in report.text
    await sec.press("Xuất Excel", message=report)
    doc = await sec.expect("Sổ tổng hợp của chi bộ")
    wb = load_workbook(io.BytesIO(fake_tg.files[doc.raw.record.document["file_id"]].data))
    assert wb.sheetnames[0] == "Tổng hợp"
    summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(values_only=True)}
    assert summary["Chỉ số"] == "Giá trị"
    assert summary["Đảng viên đọc Học Bác mỗi ngày (%)"] == 50
    assert summary["Số ngày đọc bình quân mỗi đảng viên"] == 1.2
    assert summary["Trả lời kiểm tra việc làm theo (%)"] == 50
    assert summary["Đảng viên"] == 4
    assert wb.sheetnames[1:6] == ["Đảng viên", "Đăng ký làm theo", "Việc tốt", "Sinh hoạt và điểm danh",
                                  "Thông báo"]


async def test_chart_has_the_reading_bar(bot, fake_tg, branch, clock):
    await _seed(bot, fake_tg, branch, clock)
    svc = bot.app.services.get(ReportService)
    r: BranchReport = await svc.branch_report(branch.secretary_actor, branch.branch_id, "m")
    assert (await svc.chart(r)).startswith(b"\x89PNG")
    with use_locale("vi"):
        bars = dict(chart_series(r))
    assert bars["Đọc Học Bác mỗi ngày"] == 50 and bars["Kiểm tra việc làm theo"] == 50
