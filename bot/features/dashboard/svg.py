"""Small inline SVG pictures for the dashboard's tables, drawn on the server. Only SVG presentation attributes
(stroke, fill, ...): the page's Content-Security-Policy forbids inline style attributes, not these. Kept
terse (whole-number coordinates, no decoration): a committee page draws one per branch, thousands of them."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, PAD = 96, 28, 3
MAIN, OTHER = "#b71c1c", "#5f6368"


def _runs(values: Sequence[float | None], width: int, height: int, top: float) -> list[list[tuple[int, int]]]:
    """The points of each unbroken stretch of values (a None breaks the line)."""
    n = len(values)
    step = (width - 2 * PAD) / (n - 1) if n > 1 else 0.0
    runs: list[list[tuple[int, int]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if runs[-1]:
                runs.append([])
            continue
        x = PAD + i * step if n > 1 else width / 2
        y = height - PAD - (height - 2 * PAD) * max(0.0, float(v)) / top
        runs[-1].append((round(x), round(y)))
    return [r for r in runs if r]


def _line(values: Sequence[float | None], width: int, height: int, top: float, colour: str, dashed: bool) -> str:
    shapes = []
    runs = _runs(values, width, height, top)
    for run in runs:
        if len(run) > 1:
            dash = ' stroke-dasharray="3 2"' if dashed else ""
            pts = " ".join(f"{x},{y}" for x, y in run)
            shapes.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        else:
            shapes.append(f'<circle cx="{run[0][0]}" cy="{run[0][1]}" r="2" fill="{colour}"/>')
    if values and values[-1] is not None and not dashed:  # today's value, marked
        x, y = runs[-1][-1]
        shapes.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>')
    return "".join(shapes)


def sparkline(values: Sequence[float | None], *, label: str, second: Sequence[float | None] | None = None,
              width: int = WIDTH, height: int = HEIGHT) -> str:
    """A trend line of ``values`` (oldest first; None where there is no figure: the line breaks there), the
    last point marked; ``second``, if given, a dashed grey line on the same scale. ``label`` is what a screen
    reader says ("Tỷ lệ dự sinh hoạt 6 tháng: 80%, ..."): the picture is only an aid to it. Rates share one
    0–100 scale, so two rows compare at a glance; larger values get their own."""
    present = [float(v) for v in (*values, *(second or ())) if v is not None]
    top = max(present, default=0.0)
    top = 100.0 if top <= 100 else top
    body = _line(values, width, height, top, MAIN, False)
    if second is not None:
        body = _line(second, width, height, top, OTHER, True) + body
    return (f'<svg class="spark" role="img" aria-label="{escape(label, quote=True)}" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}">{body}</svg>')
