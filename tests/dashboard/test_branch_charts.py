"""The dashboard's SVG charts, read back from the markup they produce: a number on every bar, "no figures" in
words, labels that never overlap (measured from the drawn positions), accessible and CSP-safe markup."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from itertools import combinations

from bot.features.dashboard.charts import (
    CHAR_W,
    FONT,
    LINE,
    VALUE_FONT,
    WIDTH,
    Box,
    bar_chart,
    column_chart,
    column_layout,
    text_width,
)
from bot.i18n import use_locale

SVG = "{http://www.w3.org/2000/svg}"


def parse(html: str) -> ET.Element:
    # The figure is well-formed markup; inline SVG has no namespace in HTML, add one for ElementTree.
    return ET.fromstring(html.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def texts(root: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in root.iter() if e.get("class") == cls]


def label_boxes(root: ET.Element) -> list[Box]:
    """The box of every horizontal-bar label, from its drawn lines (right-aligned at x, centred on y)."""
    out = []
    for label in texts(root, "chart-label"):
        size = float(label.get("font-size", FONT))
        spans = list(label)
        ys = [float(s.get("y", 0)) for s in spans]
        x = float(spans[0].get("x", 0))
        w = max(len(s.text or "") * size * CHAR_W for s in spans)
        out.append(Box(x - w, min(ys) - size * LINE / 2, x, max(ys) + size * LINE / 2))
    return out


def test_bar_chart_numbers_no_data_and_labels_apart() -> None:
    long = "Đảng viên chưa hoàn thành phiếu đăng ký học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"
    points = [(long, 12), ("Chờ duyệt", None), ("<script>alert(1)</script>", 3), (long + " (2)", 0),
              ("Đã duyệt", 1234)]
    with use_locale("vi"):
        html = bar_chart("pledges", "Phiếu <đăng ký>", points)
    root = parse(html)
    assert not re.search(r"\sstyle=", html) and "<script>" not in html and "&lt;script&gt;" in html
    svg = root.find(f"{SVG}svg")
    assert svg is not None and svg.get("role") == "img" and "1.234" in (svg.get("aria-label") or "")
    assert (svg.findtext(f"{SVG}title") or "").startswith("Phiếu <đăng ký>")
    # A number on every bar that has one, the words where there is none, and no bar drawn for it.
    assert [e.text for e in texts(root, "chart-value")] == ["12", "3", "0", "1.234"]
    assert [e.text for e in texts(root, "chart-nodata")] == ["chưa có số liệu"]
    assert len(texts(root, "chart-bar")) == 4
    # The same figures in a table for screen readers.
    table = root.find("details/table")
    assert table is not None and [td.text for td in table.iter("td")] == ["12", "chưa có số liệu", "3", "0", "1.234"]
    boxes = label_boxes(root)
    assert len(boxes) == 5 and not any(a.overlaps(b) for a, b in combinations(boxes, 2))
    assert all(b.x0 >= 0 for b in boxes)
    # Numbers stay inside the picture.
    for value in texts(root, "chart-value"):
        assert float(value.get("x", 0)) + text_width(value.text or "", VALUE_FONT) <= WIDTH


def test_box_overlap_measure_is_not_blind() -> None:
    assert Box(0, 0, 10, 10).overlaps(Box(5, 5, 15, 15))
    assert not Box(0, 0, 10, 10).overlaps(Box(0, 10, 10, 20))


def test_columns_over_time_slant_labels_with_room_or_turn_into_bars() -> None:
    with use_locale("vi"):
        weeks = [(f"Tuần {d:02d}/09", d % 7) for d in range(1, 15)]  # a quarter: 14 weeks
        lay = column_layout(weeks)
        html = column_chart("deeds", "Việc tốt", weeks)
        root = parse(html)
        assert lay.fits and lay.slanted
        # Slanted labels are parallel: one line of text fits between neighbours, the first is not cut off.
        assert lay.slot * math.sin(math.pi / 4) >= FONT * LINE
        assert min(b.x0 for b in lay.label_boxes) >= 0
        assert [e.text for e in texts(root, "chart-value")] == [str(d % 7) for d in range(1, 15)]
        assert all("rotate(-45" in (e.get("transform") or "") for e in texts(root, "chart-label"))

        # A month's five weeks: level labels on two lines ("Tuần" over "02/11"), side by side without touching.
        five = column_layout([(f"Tuần {d:02d}/11", d) for d in (2, 9, 16, 23, 30)])
        assert not five.slanted and five.lines[0] == ["Tuần", "02/11"]
        assert not any(a.overlaps(b) for a, b in combinations(five.label_boxes, 2))

        months = [(f"Tháng {m}", m * 10) for m in range(1, 6)]
        level = column_layout([("T1", 1), ("T2", 2), ("T3", 3)])
        assert not level.slanted and not any(a.overlaps(b) for a, b in combinations(level.label_boxes, 2))
        html = column_chart("reading", "Đọc", [*months, ("Tháng 6", None)])
        assert "chưa có số liệu" in html and html.count('class="chart-bar"') == 5

        # Too many columns for a number on each: horizontal bars, one row each, every number still written.
        many = [(f"Tuần {i}", i) for i in range(40)]
        assert not column_layout(many).fits
        root = parse(column_chart("many", "Nhiều", many))
        assert len(texts(root, "chart-value")) == 40 and texts(root, "chart-row")
        boxes = label_boxes(root)
        assert not any(a.overlaps(b) for a, b in combinations(boxes, 2))


def test_percent_and_empty() -> None:
    with use_locale("vi"):
        html = column_chart("att", "Dự họp", [("Họp 05/11", 83.333), ("Họp 12/11", 100.0)], unit="%")
        assert ">83,3%<" in html and ">100%<" in html
        empty = bar_chart("none", "Không có gì", [])
        assert "chưa có số liệu" in empty and "<svg" not in empty
    with use_locale("en"):
        assert ">83.3%<" in column_chart("att", "Attendance", [("Mtg", 83.333)], unit="%")
