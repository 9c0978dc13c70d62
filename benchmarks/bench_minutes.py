"""The minutes (.docx) of a meeting of a 60-member branch: how long the document takes to build (issue #15 asks
under 2 s). The view is built in memory (what ``MeetingMinutesService.export`` reads in a few queries), then
rendered ``--runs`` times.

    .venv/bin/python benchmarks/bench_minutes.py --members 60 --runs 20
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.features.meetings.minutes import Attendee, MinutesView, TaskLine
from bot.features.meetings.minutes_doc import minutes_docx
from bot.services.documents import docx_text


def view(members: int) -> MinutesView:
    states = ["present"] * (members - 6) + ["excused"] * 4 + ["absent"] * 2
    people = [Attendee(i, f"Đảng viên {i:04d}", s, "đi công tác" if s == "excused" else "")
              for i, s in enumerate(states, 1)]
    day = date(2026, 12, 5)
    tasks = [TaskLine(i, f"Nhiệm vụ số {i}: triển khai nội dung {i} của nghị quyết", i, f"Đảng viên {i:04d}",
                      day + timedelta(days=7 + i), False, day) for i in range(1, 13)]
    v = MinutesView(
        meeting_id=1, branch_id=1, org_name="Đảng bộ xã An Bình", branch_name="Chi bộ thôn 1", kind="regular",
        starts_local=datetime(2026, 12, 5, 19, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")), place="Nhà văn hoá thôn 1",
        topic="Đánh giá, xếp loại chất lượng đảng viên năm 2026", documents=["Bao-cao-2026.pdf", "Du-thao-NQ.docx"],
        attendees=people, chair="Đảng viên 0001", recorder="Đảng viên 0002", guests="Đồng chí đảng uỷ viên phụ trách",
        discussion="\n".join(f"Đồng chí {i}: ý kiến thảo luận số {i}." for i in range(1, 41)),
        conclusions="\n".join(f"Kết luận {i}." for i in range(1, 11)), closing_time="21:30",
        votes=[(f"Biểu quyết số {i}", "Tán thành 50, không tán thành 2, không biểu quyết 2; có mặt 54/60; thông qua")
               for i in range(1, 61)],
        tasks=tasks, checks=tasks[:6], today=day,
    )
    v.counts = {s: len(v.of(s)) for s in ("present", "excused", "absent")}  # type: ignore[arg-type]
    return v


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=60)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    v = view(args.members)
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        data = minutes_docx(v)
        times.append(time.perf_counter() - t0)
    assert "VII. PHÂN CÔNG NHIỆM VỤ" in docx_text(data)
    print(f"minutes .docx, {args.members} members, 60 votes, 12 tasks: {len(data):,} bytes; "
          f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms over {args.runs} runs "
          f"(target < 2000 ms)")


if __name__ == "__main__":
    main()
