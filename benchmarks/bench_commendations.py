"""Commendation and branch papers for a 60-member branch (issue #15: a document in under 2 s).

Run: .venv/bin/python benchmarks/bench_commendations.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.features.branch_plan.documents import render_docx
from bot.features.branch_plan.models import BranchDoc
from bot.features.commendations.exports import branch_workbook, proposal_docx
from bot.features.commendations.models import CommendProposal
from bot.features.commendations.service import Shortlist, ShortlistRow
from bot.i18n import use_locale
from storage.models.org import Branch

MEMBERS = 60


def timed(label: str, fn: Callable[[], bytes]) -> None:
    start = time.perf_counter()
    data = fn()
    print(f"{label}: {time.perf_counter() - start:.2f} s, {len(data) // 1024} KiB")


def main() -> None:
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    branch = Branch(id=1, org_id=1, name="Chi bộ thôn 1")
    deeds = [(date(2026, 3, d), "Việc tốt được biểu dương, kể lại đủ chi tiết " * 3) for d in range(1, 6)]
    rows = [ShortlistRow(i, f"Đảng viên số {i}", "excellent" if i % 5 == 0 else "good", (True, 8, 10), deeds,
                         i % 3 == 0) for i in range(MEMBERS)]
    shortlist = Shortlist(branch, 2026, rows, True, True)
    props = [CommendProposal(id=i, branch_id=1, org_id=1, year=2026, kind="individual", person_id=i,
                             name=f"Đảng viên số {i}", reason="Thành tích nổi bật trong năm " * 10,
                             evidence=[f"Biểu dương ngày 0{d}/03/2026: việc tốt" for d in range(1, 6)],
                             proposed_by=1, created_at=datetime(2026, 11, 30, tzinfo=UTC)) for i in range(MEMBERS)]
    report = BranchDoc(id=1, branch_id=1, org_id=1, kind="year", year=2026,
                       fields={"results": "Kết quả nổi bật\n" * 30, "limits": "Hạn chế", "next": "Phương hướng"})
    with use_locale("vi"):
        timed(f"proposal list .docx ({MEMBERS} proposals)",
              lambda: proposal_docx(shortlist, props, "Đảng bộ xã An Bình", (30, 11, 2026)))
        timed(f"commendation workbook ({MEMBERS} members)", lambda: branch_workbook(shortlist, props, [], tz))
        timed("year-end report .docx", lambda: render_docx(report, "Chi bộ thôn 1", "Đảng bộ xã An Bình",
                                                           {"members": MEMBERS, "deeds_reported": 300},
                                                           date(2026, 11, 30)))


if __name__ == "__main__":
    main()
