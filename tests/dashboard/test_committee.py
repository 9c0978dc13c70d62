"""The committee's home page and its export, called directly (the web layer only wraps them): every branch of
the admin's đảng bộ and none of another, names escaped, lagging branches marked by the đảng bộ's thresholds
the same way as /baocao, the export audited; the sparkline's markup."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.devtools.dashboard_seed import seed_org
from bot.features.dashboard.committee import committee_export, committee_home
from bot.features.dashboard.svg import sparkline
from bot.features.reports.service import ReportService
from bot.messages import UserRef
from bot.services.errors import InvalidInput, PermissionDenied
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from bot.text import number
from storage.models.calendar import OrgThresholds
from storage.models.system import AuditLog
from tests.conftest import ADMIN_TG_ID, TZ

EVIL = "<script>alert(1)</script> & Co"
NAMES = ["Chi bộ thôn 1", "Chi bộ thôn 2", EVIL, "Chi bộ thôn 4", "Chi bộ thôn 5", "Chi bộ thôn 6",
         "Chi bộ thôn 7", "Chi bộ thôn 8", "Chi bộ thôn 9"]


async def _setup(bot, clock):  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 5, 20, 10, 0, tzinfo=TZ))
    app = bot.app
    async with app.db.session() as s:
        mine = await seed_org(s, now=app.clock.now(), tz=TZ, branches=len(NAMES), members_per_branch=8, months=6,
                              seed=3, org_name="Đảng bộ xã An Bình", branch_names=NAMES)
        theirs = await seed_org(s, now=app.clock.now(), tz=TZ, branches=2, members_per_branch=4, months=2, seed=4,
                                org_name="Đảng bộ phường B", branch_names=["Chi bộ khu 5", "Chi bộ khu 6"])
        await s.commit()
    ids = app.services.get(IdentityService)
    org = app.services.get(OrgService)
    sysadmin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))

    async def committee_admin(org_id: int, uid: int):  # type: ignore[no-untyped-def]
        code = await org.create_code(sysadmin, kind="committee_admin", org_id=org_id)
        who = await ids.resolve(UserRef("telegram", str(uid), f"Uỷ viên {uid}"), str(uid))
        await org.redeem(who, code.code)
        actor = await ids.actor_for_person(who.person_id)
        assert actor is not None
        return actor

    return mine, theirs, await committee_admin(mine.org_id, 9301), await committee_admin(theirs.org_id, 9302)


def _rows(body: str) -> list[str]:
    tbody = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr.*?</tr>", tbody)


async def test_committee_home_lists_every_branch_escaped_and_marks_laggards(bot, clock):
    mine, theirs, boss, other_boss = await _setup(bot, clock)
    deps = bot.app.services.deps
    page = await committee_home(deps, boss, mine.org_id, "m")
    assert page.title == "Đảng bộ xã An Bình" and page.period == "m"
    body = page.body
    rows = _rows(body)
    assert len(rows) == len(NAMES)
    for name in NAMES:
        if name != EVIL:
            assert f">{name}</a>" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in body and "<script" not in body
    assert "Chi bộ khu 5" not in body and "Chi bộ khu 6" not in body
    for branch_id in mine.branch_ids:
        assert f'href="/dashboard/branch/{branch_id}"' in body
    # No inline style or script for the CSP; the trends are accessible inline SVG.
    assert " style=" not in body and "onclick" not in body.lower()
    assert body.count('<svg class="spark" role="img" aria-label="') >= len(NAMES)
    assert f'href="/dashboard/org/{mine.org_id}/export.xlsx?period=m"' in body
    assert f'href="/dashboard/org/{mine.org_id}/audit"' in body
    # The lagging rows are the ones /baocao flags, marked by a class and by words.
    _org, reports = await bot.app.services.get(ReportService).committee_view(boss, mine.org_id, "m")
    flagged = {r.branch_name for r in reports if r.flags}
    assert flagged and len(flagged) < len(NAMES)
    for row in rows:
        name = re.search(r'<a href="/dashboard/branch/\d+">(.*?)</a>', row).group(1)  # type: ignore[union-attr]
        lagging = name.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") in flagged
        assert ('class="lag"' in row) == lagging, name
        assert ("⚠ Chậm" in row) == lagging, name
    assert "Toàn đảng bộ" in body and f"Số chi bộ chậm: {len(flagged)}" in body
    # Totals: the members of the đảng bộ, added up.
    assert f'<div class="value">{number(sum(r.figures["members"] for r in reports))}</div>' in body

    # The thresholds are the đảng bộ's own: relaxed, nobody lags.
    async with bot.app.db.session() as s:
        s.add(OrgThresholds(org_id=mine.org_id, min_attendance_pct=0, require_thematic_quarter=False,
                            require_deeds_month=False))
    relaxed = await committee_home(deps, boss, mine.org_id, "y")
    assert 'class="lag"' not in relaxed.body and "Số chi bộ chậm: 0" in relaxed.body
    # The month page read a moment ago keeps its figures for a minute, and says how old they are.
    clock.advance(timedelta(seconds=59))
    again = await committee_home(deps, boss, mine.org_id, "m")
    assert again.body.count('class="lag"') == len(flagged)
    assert "Số liệu lúc 10:00 ngày 20/05/2026, cập nhật mỗi phút." in again.body
    clock.advance(timedelta(seconds=2))
    fresh = await committee_home(deps, boss, mine.org_id, "m")
    assert 'class="lag"' not in fresh.body and "Số liệu lúc 10:01 ngày 20/05/2026" in fresh.body

    # Only that đảng bộ's committee; a bad period is a clear error.
    with pytest.raises(PermissionDenied):
        await committee_home(deps, other_boss, mine.org_id, "m")
    with pytest.raises(PermissionDenied):
        await committee_export(deps, other_boss, mine.org_id, "m")
    with pytest.raises(InvalidInput):
        await committee_home(deps, boss, mine.org_id, "week")
    theirs_page = await committee_home(deps, other_boss, theirs.org_id, "q")
    assert len(_rows(theirs_page.body)) == 2 and "Chi bộ khu 5" in theirs_page.body
    assert "Chi bộ thôn 1" not in theirs_page.body


async def test_committee_export_is_the_table_and_is_audited(bot, clock):
    mine, _theirs, boss, _other = await _setup(bot, clock)
    deps = bot.app.services.deps
    got = await committee_export(deps, boss, mine.org_id, "q")
    assert got.filename.endswith(".xlsx") and got.filename.startswith("chibo-")
    wb = load_workbook(io.BytesIO(got.data))
    sheet = list(wb[wb.sheetnames[0]].iter_rows(values_only=True))
    assert sheet[0][:2] == ("STT", "Chi bộ") and sheet[0][-1] == "Cần lưu ý"
    assert len(sheet) == len(NAMES) + 2 and {r[1] for r in sheet[1:-1]} == set(NAMES)
    assert sheet[-1][1] == "Toàn đảng bộ"
    members = sheet[0].index("Đảng viên")
    assert sheet[-1][members] == sum(r[members] for r in sheet[1:-1]) > 0
    assert EVIL in {r[1] for r in sheet[1:-1]}  # the text as typed, never a formula (bot/services/sheets)
    async with bot.app.db.session() as s:
        rows = (await s.execute(select(AuditLog).where(AuditLog.action == "dashboard.export"))).scalars().all()
    assert len(rows) == 1 and rows[0].org_id == mine.org_id and rows[0].actor_person_id == boss.person_id
    assert rows[0].details["period"] == "q" and rows[0].details["rows"] == len(NAMES)


def test_sparkline_is_accessible_svg_without_inline_style():
    svg = sparkline([50, None, 80.5, 90, 100, 70], label='Chi bộ "A" <b>: 50%, —, 80,5%')
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert 'aria-label="Chi bộ &quot;A&quot; &lt;b&gt;: 50%, —, 80,5%"' in svg and "<b>" not in svg
    assert " style=" not in svg
    # The gap after the first value breaks the line: a lone point, then one polyline of four points.
    assert svg.count("<polyline") == 1 and len(re.search(r'points="([^"]*)"', svg).group(1).split()) == 4  # type: ignore[union-attr]
    assert svg.count("<circle") == 2  # the lone first point and the last value's marker
    ys = [float(p.split(",")[1]) for p in re.search(r'points="([^"]*)"', svg).group(1).split()]  # type: ignore[union-attr]
    assert ys[2] < ys[0] and ys[3] > ys[2]  # 100 is higher up than 80.5; 70 is lower again
    both = sparkline([10, 20], second=[30, None], label="x")
    assert both.count("<polyline") == 1 and 'stroke-dasharray' not in both.split("<polyline")[1].split("/>")[0]
    assert both.count("<circle") == 2  # the second line's lone point, the first line's last value
    assert 'stroke-dasharray="3 2"' in sparkline([1, 2], second=[3, 4], label="x")
    empty = sparkline([None, None], label="x")
    assert "<polyline" not in empty and "<circle" not in empty


async def test_committee_home_of_a_party_committee_without_branches(bot, clock):
    app = bot.app
    ids = app.services.get(IdentityService)
    sysadmin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    org = await app.services.get(OrgService).create_org(sysadmin, "Đảng bộ mới")
    page = await committee_home(app.services.deps, sysadmin, org.id, "m")
    assert "Đảng bộ chưa có chi bộ nào." in page.body and "<table" not in page.body
    got = await committee_export(app.services.deps, sysadmin, org.id, "y")
    rows = list(load_workbook(io.BytesIO(got.data)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == "Toàn đảng bộ"  # the header and the totals, nothing else
