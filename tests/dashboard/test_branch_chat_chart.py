"""The chat's chart (/baocao's PNG) read on a phone: a larger picture, the rate and its count on every bar, a
rate that could not be counted said in words, and no two texts overlapping (measured with matplotlib's own
text extents, after drawing)."""

from __future__ import annotations

import struct
from itertools import combinations

import pytest

from bot.features.reports.service import chart_figure, chart_png
from bot.i18n import use_locale
from bot.services.branch_report import BranchReport

OLD_SIZE = (700, 340)  # the chart before: figsize (7, 3.4) at 100 dpi, labels overlapping on a phone

FIGURES = {"members": 12, "pledged": 9, "checkin_sent": 0, "checkin_answered": 0, "daily_readers": 3,
           "daily_read": 20, "attendance_expected": 12, "attendance_present": 11, "notices_ack_sent": 0,
           "notices_acknowledged": 0}


def report(name: str = "Chi bộ thôn Đông Hưng Thuận mở rộng số 12") -> BranchReport:
    return BranchReport(1, name, "q", "quý 4/2026", dict(FIGURES))


def overlaps(fig) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Pairs of visible texts of the figure whose drawn boxes intersect, and texts that leave the picture."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [t for ax in fig.axes
             for t in (*ax.get_yticklabels(), *ax.get_xticklabels(), *ax.texts, ax.title, ax.xaxis.label,
                       ax.yaxis.label)
             if t.get_text() and t.get_visible()]
    texts += [t for t in fig.texts if t.get_text()]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    bad = [(a, b) for (a, ba), (b, bb) in combinations(boxes, 2) if ba.overlaps(bb)]
    whole = fig.bbox
    bad += [(a, "outside the picture") for a, box in boxes
            if box.x0 < whole.x0 - 1 or box.x1 > whole.x1 + 1 or box.y0 < whole.y0 - 1 or box.y1 > whole.y1 + 1]
    return bad


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_the_chart_is_large_counted_and_nothing_overlaps(locale: str) -> None:
    import matplotlib.pyplot as plt

    with use_locale(locale):
        png = chart_png(report())
        fig = chart_figure(report())
    try:
        assert png.startswith(b"\x89PNG")
        width, height = struct.unpack(">II", png[16:24])
        assert width >= 1000 and width * height >= 3 * OLD_SIZE[0] * OLD_SIZE[1], (width, height)
        ax = fig.axes[0]
        written = [t.get_text() for t in ax.texts]
        # The rate AND the count behind it on each bar that has figures.
        attendance = "91,7% (11/12)" if locale == "vi" else "91.7% (11/12)"
        assert "75% (9/12)" in written and attendance in written, written
        assert "25% (3/12)" in written
        # Check-ins and confirmations were never sent: said in words, with no bar that could read as 0%.
        nodata = "chưa có số liệu" if locale == "vi" else "no figures yet"
        assert written.count(nodata) == 2
        widths = [p.get_width() for p in ax.patches]
        assert widths[1] == 0 and widths[4] == 0 and widths[0] == 75
        assert overlaps(fig) == []
    finally:
        plt.close(fig)


def test_the_overlap_measure_finds_overlapping_labels() -> None:
    """The measure above is not blind: the old layout's crowded labels are caught."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2), dpi=100)
    try:
        ax.bar(range(5), [10, 20, 30, 40, 50])
        ax.set_xticks(range(5), ["Kiểm tra việc làm theo"] * 5, fontsize=12)
        ax.text(1, 20, "50%", fontsize=12)
        ax.text(1.05, 20, "60%", fontsize=12)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        labels = [t.get_window_extent(renderer) for t in ax.get_xticklabels()]
        assert any(a.overlaps(b) for a, b in combinations(labels, 2))
        assert ("50%", "60%") in overlaps(fig)
    finally:
        plt.close(fig)


def test_the_monthly_pack_chart_is_large_with_a_count_on_every_week() -> None:
    """/bantin's weekly chart: the same care (a 1080-pixel picture, every week's count written, a zero too)."""
    from datetime import date
    from types import SimpleNamespace

    import matplotlib.pyplot as plt

    from bot.features.deeds import pack

    deeds = [(SimpleNamespace(day=date(2026, 11, d), status="accepted"), "An") for d in (3, 4, 18, 18, 19, 20)]
    captured = {}
    real_close = plt.close

    def keep(fig):  # type: ignore[no-untyped-def]
        captured["fig"] = fig  # measured below, then closed

    plt.close = keep
    try:
        with use_locale("vi"):
            png = pack._chart(deeds, date(2026, 11, 1), date(2026, 12, 1), "Việc tốt mỗi tuần, tháng 11/2026")
    finally:
        plt.close = real_close
    fig = captured["fig"]
    try:
        width, height = struct.unpack(">II", png[16:24])
        assert width >= 1000 and width * height >= 3 * 500 * 260, (width, height)
        ax = fig.axes[0]
        counts = [t.get_text() for t in ax.texts]
        assert counts == ["0", "2", "0", "4", "0", "0"], counts  # weeks of 26/10 … 30/11
        assert overlaps(fig) == []
    finally:
        real_close(fig)
