"""Charts drawn on the server as inline SVG: no script, no CDN, no style attribute (the dashboard's CSP).

Made to be read at a glance on a 412 px phone as on a desktop: the number is written on every bar, a bar
without data says so in words instead of looking like a zero, labels get their own row (horizontal bars) or
are slanted only when the columns leave room for them, so two labels never overlap. Colours are the
Okabe-Ito palette (told apart with every common colour blindness). Every chart carries ``role="img"``, an
``aria-label`` and a ``<title>`` with its figures, and a table of the same figures below it (folded in a
``<details>``: one press shows it; screen readers reach it).

Sizes are in SVG units of a 400-unit-wide canvas, the width of a phone, so 13 units stay 13 px there.
"""

from __future__ import annotations

import html
import math
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from bot.i18n import _
from bot.text import number

# Okabe-Ito: blue, orange, bluish green, vermillion, reddish purple, sky blue.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9")
INK = "#1a1a1a"  # labels and numbers outside a bar
MUTED = "#555555"  # "no data yet": still 7:1 on white
ON_BAR = "#ffffff"  # a number written inside a dark bar

WIDTH = 400
FONT = 13  # labels
VALUE_FONT = 15  # the numbers, a little larger: they are what people look for
CHAR_W = 0.6  # average width of a character, as a share of the font size (wide enough for Vietnamese)
LINE = 1.25  # line height, as a share of the font size

Point = tuple[str, float | int | None]


@dataclass(frozen=True, slots=True)
class Box:
    """Where a piece of text lands (its bounding box in SVG units); the tests check labels never overlap."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


def text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_W


def _a(text: object) -> str:
    """Escaped for an attribute or an element (quotes too)."""
    return html.escape(str(text), quote=True)


def fmt(value: float | int | None, unit: str = "") -> str:
    if value is None:
        return _("no figures yet")
    v: float | int = value
    if isinstance(v, float):
        v = round(v, 1)
        if v.is_integer():
            v = int(v)
    return f"{number(v)}{unit}"


def chart_id(name: str) -> str:
    """An id for aria references made of the series name (letters, digits, _ and - only)."""
    return "chart-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "x")


def _summary(title: str, points: Sequence[Point], unit: str) -> str:
    return f"{title}: " + "; ".join(f"{label} {fmt(v, unit)}" for label, v in points)


def data_table(title: str, points: Sequence[Point], unit: str = "", *, hidden: bool = True,
               label_head: str | None = None) -> str:
    """The chart's figures as a table (for screen readers, or shown when there is nothing to draw)."""
    rows = "".join(f"<tr><th scope=\"row\">{_a(label)}</th><td>{_a(fmt(v, unit))}</td></tr>" for label, v in points)
    cls = "table chart-data visually-hidden" if hidden else "table chart-data"
    return (f"<table class=\"{cls}\"><caption>{_a(title)}</caption><thead><tr><th scope=\"col\">"
            f"{_a(label_head or _('Item'))}</th><th scope=\"col\">{_a(_('Value'))}</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _wrap(label: str, chars: int, lines: int = 2) -> list[str]:
    """A label on at most ``lines`` lines of ``chars`` characters; the rest cut with "…" (the full label is in
    the <title> and the table)."""
    out = textwrap.wrap(label, chars, break_long_words=True) or [""]
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: chars - 1].rstrip() + "…"
    return out


def _svg_open(cid: str, title: str, points: Sequence[Point], unit: str, height: float) -> str:
    summary = _summary(title, points, unit)
    return (f"<svg class=\"chart-svg\" viewBox=\"0 0 {WIDTH} {height:g}\" width=\"100%\" role=\"img\" "
            f"aria-label=\"{_a(summary)}\" aria-describedby=\"{cid}-data\" font-family=\"system-ui, sans-serif\">"
            f"<title>{_a(summary)}</title>")


def _figure(cid: str, title: str, svg: str, points: Sequence[Point], unit: str, label_head: str | None) -> str:
    # A <section> rather than a <figure>: browsers indent a figure by 40 px, which a phone cannot spare. The
    # table of the same figures sits in a <details> under the chart: shown on request, read by screen readers.
    table = data_table(title, points, unit, hidden=False, label_head=label_head).replace(
        "<table ", f"<table id=\"{cid}-data\" ", 1)
    return (f"<section class=\"chart\" id=\"{cid}\" aria-labelledby=\"{cid}-title\">"
            f"<h3 class=\"chart-title\" id=\"{cid}-title\">{_a(title)}</h3>{svg}"
            f"<details class=\"chart-table\"><summary>{_a(_('Show the figures as a table'))}</summary>{table}</details>"
            "</section>")


def bar_layout(points: Sequence[Point]) -> tuple[list[list[str]], list[Box], float, float]:
    """Horizontal bars: (label lines, label boxes, label column width, row height)."""
    longest = max((len(label) for label, _v in points), default=1)
    label_w = min(150.0, max(60.0, text_width("x" * longest, FONT)))
    chars = max(6, int(label_w / (FONT * CHAR_W)))
    lines = [_wrap(label, chars) for label, _v in points]
    row_h = max(30.0, max((len(ls) for ls in lines), default=1) * FONT * LINE + 10)
    boxes: list[Box] = []
    for i, ls in enumerate(lines):
        mid = 8 + i * row_h + row_h / 2
        h = len(ls) * FONT * LINE
        w = max(text_width(line, FONT) for line in ls)
        boxes.append(Box(label_w + 4 - w, mid - h / 2, label_w + 4, mid + h / 2))
    return lines, boxes, label_w, row_h


def bar_chart(name: str, title: str, points: Sequence[Point], *, unit: str = "", max_value: float | None = None,
              colour: str = PALETTE[0], label_head: str | None = None) -> str:
    """Horizontal bars, one row each: the label on the left (wrapped on two lines, never under another), the
    bar, its number at its end. ``unit``: "%" for rates (then 100 is the full width unless ``max_value``)."""
    cid = chart_id(name)
    if not points:
        return (f"<section class=\"chart\" id=\"{cid}\" aria-labelledby=\"{cid}-title\">"
                f"<h3 class=\"chart-title\" id=\"{cid}-title\">{_a(title)}</h3>"
                f"<p class=\"chart-empty muted\">{_a(_('no figures yet'))}</p></section>")
    lines, _boxes, label_w, row_h = bar_layout(points)
    values = [float(v) for _l, v in points if v is not None]
    top = max_value or (100.0 if unit == "%" else max(values, default=0.0)) or 1.0
    bar_x = label_w + 12
    value_room = text_width("0000,0%", VALUE_FONT) + 6
    bar_max = WIDTH - bar_x - value_room
    height = 16 + row_h * len(points)
    parts = [_svg_open(cid, title, points, unit, height)]
    for i, ((label, v), ls) in enumerate(zip(points, lines, strict=True)):
        y = 8 + i * row_h
        mid = y + row_h / 2
        first = mid - (len(ls) - 1) * FONT * LINE / 2
        spans = "".join(f"<tspan x=\"{label_w + 4:g}\" y=\"{first + k * FONT * LINE:g}\">{_a(line)}</tspan>"
                        for k, line in enumerate(ls))
        parts.append(f"<g class=\"chart-row\"><title>{_a(label)}: {_a(fmt(v, unit))}</title>"
                     f"<text class=\"chart-label\" font-size=\"{FONT}\" fill=\"{INK}\" text-anchor=\"end\" "
                     f"dominant-baseline=\"middle\">{spans}</text>")
        if v is None:
            parts.append(f"<text class=\"chart-nodata\" x=\"{bar_x:g}\" y=\"{mid:g}\" font-size=\"{FONT}\" "
                         f"fill=\"{MUTED}\" font-style=\"italic\" dominant-baseline=\"middle\">"
                         f"{_a(fmt(None))}</text></g>")
            continue
        w = max(0.0, min(1.0, float(v) / top)) * bar_max
        bar_h = min(22.0, row_h - 8)
        parts.append(f"<rect class=\"chart-bar\" x=\"{bar_x:g}\" y=\"{mid - bar_h / 2:g}\" width=\"{max(w, 2):g}\" "
                     f"height=\"{bar_h:g}\" rx=\"3\" fill=\"{colour}\"/>")
        parts.append(f"<text class=\"chart-value\" x=\"{bar_x + max(w, 2) + 6:g}\" y=\"{mid:g}\" "
                     f"font-size=\"{VALUE_FONT}\" font-weight=\"700\" fill=\"{INK}\" dominant-baseline=\"middle\">"
                     f"{_a(fmt(v, unit))}</text></g>")
    parts.append("</svg>")
    return _figure(cid, title, "".join(parts), points, unit, label_head)


@dataclass(frozen=True, slots=True)
class ColumnLayout:
    left: float  # x of the first column's slot (room for the first slanted label)
    slot: float  # horizontal room of one column
    slanted: bool  # labels at 45° (they would not fit level, even on two lines)
    lines: list[list[str]]  # each level label's lines (one or two); slanted labels: the label itself
    label_boxes: list[Box]  # level labels: their boxes; slanted ones: the box of each label's line
    fits: bool  # False: too many columns for a number on each; draw horizontal bars instead


PLOT_TOP, PLOT_H = 28.0, 150.0  # room for the numbers above the tallest column, the columns' height


def column_layout(points: Sequence[Point], unit: str = "") -> ColumnLayout:
    n = max(1, len(points))
    right = 8.0
    widest_value = max((text_width(fmt(v, unit), VALUE_FONT) for _l, v in points if v is not None), default=0.0)
    widths = [text_width(label, FONT) for label, _v in points]
    left = 8.0
    slot = (WIDTH - left - right) / n
    chars = int((slot - 4) / (FONT * CHAR_W))
    # A label wider than its column goes on two lines ("Tuần" over "02/11") when its words fit, else at 45°.
    lines = [[label] if text_width(label, FONT) <= slot - 4
             else textwrap.wrap(label, max(1, chars), break_long_words=False) for label, _v in points]
    slanted = any(len(ls) > 2 or any(text_width(x, FONT) > slot - 4 for x in ls) for ls in lines)
    if slanted:
        lines = [[label] for label, _v in points]
        # The first label runs down-left from its column: leave it room so it is not cut off.
        reach = widths[0] * math.cos(math.pi / 4) if widths else 0.0
        left = max(8.0, reach - slot / 2 + 4)
        slot = (WIDTH - left - right) / n
        left = max(8.0, reach - slot / 2 + 4)
    # Slanted labels are parallel lines slot·sin45° apart: they must clear one line of text.
    fits = widest_value <= slot - 2 and (not slanted or slot * math.sin(math.pi / 4) >= FONT * LINE)
    base = PLOT_TOP + PLOT_H
    boxes = []
    for i, w in enumerate(widths):
        cx = left + slot * (i + 0.5)
        if slanted:
            d = w * math.cos(math.pi / 4)
            boxes.append(Box(cx - d, base + 6, cx + FONT * 0.7, base + 6 + d + FONT))
        else:
            lw = max(text_width(x, FONT) for x in lines[i])
            boxes.append(Box(cx - lw / 2, base + 6, cx + lw / 2, base + 6 + FONT * LINE * len(lines[i])))
    return ColumnLayout(left, slot, slanted, lines, boxes, fits)


def column_chart(name: str, title: str, points: Sequence[Point], *, unit: str = "", colour: str = PALETTE[0],
                 label_head: str | None = None) -> str:
    """Columns over time (weeks, months, meetings): the number above each column, the label below it, slanted
    when level labels would touch. When the columns are too narrow for a number each, horizontal bars."""
    lay = column_layout(points, unit)
    if not points or not lay.fits:
        return bar_chart(name, title, points, unit=unit, colour=colour, label_head=label_head)
    cid = chart_id(name)
    values = [float(v) for _l, v in points if v is not None]
    top = 100.0 if unit == "%" else (max(values, default=0.0) or 1.0)
    plot_h, base = PLOT_H, PLOT_TOP + PLOT_H
    label_room = max(b.y1 for b in lay.label_boxes) - base + 6
    height = base + label_room
    parts = [_svg_open(cid, title, points, unit, height),
             f"<line x1=\"{lay.left:g}\" y1=\"{base:g}\" x2=\"{WIDTH - 8}\" y2=\"{base:g}\" "
             f"stroke=\"{MUTED}\" stroke-width=\"1\"/>"]
    bar_w = min(40.0, lay.slot * 0.7)
    for i, (label, v) in enumerate(points):
        cx = lay.left + lay.slot * (i + 0.5)
        parts.append(f"<g class=\"chart-col\"><title>{_a(label)}: {_a(fmt(v, unit))}</title>")
        if v is None:
            # Written upright along the column's place, so "no data" never passes for a zero.
            parts.append(f"<text class=\"chart-nodata\" x=\"{cx:g}\" y=\"{base - 6:g}\" font-size=\"{FONT - 2}\" "
                         f"fill=\"{MUTED}\" font-style=\"italic\" text-anchor=\"start\" "
                         f"transform=\"rotate(-90 {cx:g} {base - 6:g})\">{_a(fmt(None))}</text>")
        else:
            h = max(0.0, min(1.0, float(v) / top)) * plot_h
            parts.append(f"<rect class=\"chart-bar\" x=\"{cx - bar_w / 2:g}\" y=\"{base - max(h, 2):g}\" "
                         f"width=\"{bar_w:g}\" height=\"{max(h, 2):g}\" rx=\"3\" fill=\"{colour}\"/>")
            parts.append(f"<text class=\"chart-value\" x=\"{cx:g}\" y=\"{base - max(h, 2) - 5:g}\" "
                         f"font-size=\"{VALUE_FONT}\" font-weight=\"700\" fill=\"{INK}\" text-anchor=\"middle\">"
                         f"{_a(fmt(v, unit))}</text>")
        ly = base + 6 + FONT
        if lay.slanted:
            parts.append(f"<text class=\"chart-label\" x=\"{cx:g}\" y=\"{ly:g}\" font-size=\"{FONT}\" fill=\"{INK}\" "
                         f"text-anchor=\"end\" transform=\"rotate(-45 {cx:g} {ly:g})\">{_a(label)}</text></g>")
        else:
            spans = "".join(f"<tspan x=\"{cx:g}\" y=\"{ly + k * FONT * LINE:g}\">{_a(x)}</tspan>"
                            for k, x in enumerate(lay.lines[i]))
            parts.append(f"<text class=\"chart-label\" font-size=\"{FONT}\" fill=\"{INK}\" "
                         f"text-anchor=\"middle\">{spans}</text></g>")
    parts.append("</svg>")
    return _figure(cid, title, "".join(parts), points, unit, label_head)


def big_number(label: str, value: float | int | None, unit: str = "", note: str = "") -> str:
    """A figure as a tile: the large number, its plain label under it."""
    extra = f"<div class=\"muted tile-note\">{_a(note)}</div>" if note else ""
    cls = "figure tile tile-empty" if value is None else "figure tile"
    return (f"<div class=\"{cls}\"><div class=\"value tile-value\">{_a(fmt(value, unit))}</div>"
            f"<div class=\"label tile-label\">{_a(label)}</div>{extra}</div>")
