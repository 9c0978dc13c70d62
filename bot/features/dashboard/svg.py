"""Small inline SVG pictures for the dashboard's tables, drawn on the server. Only SVG presentation attributes
(stroke, fill, ...): the page's Content-Security-Policy forbids inline style attributes, not these."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, PAD = 96, 28, 3


def sparkline(values: Sequence[float | None], *, label: str, width: int = WIDTH, height: int = HEIGHT) -> str:
    """A trend line of ``values`` (oldest first; None where there is no figure: the line breaks there) with
    the last point marked. ``label`` is what a screen reader says ("Tỷ lệ dự sinh hoạt 6 tháng: 80%, ...");
    the picture is only an aid to it. Values are drawn on their own scale from 0 (rates: 0–100)."""
    present = [v for v in values if v is not None]
    top = max(present, default=0.0)
    top = 100.0 if top <= 100 else top  # rates share one 0–100 scale, so two rows compare at a glance
    n = len(values)
    step = (width - 2 * PAD) / (n - 1) if n > 1 else 0.0

    def point(i: int, v: float) -> tuple[float, float]:
        x = PAD + i * step if n > 1 else width / 2
        y = height - PAD - (height - 2 * PAD) * max(0.0, v) / top
        return round(x, 1), round(y, 1)

    runs: list[list[tuple[float, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(point(i, float(v)))
    shapes = [f'<line x1="{PAD}" y1="{height - PAD}" x2="{width - PAD}" y2="{height - PAD}" stroke="#e0e0e0" '
              'stroke-width="1"/>']
    for run in runs:
        if len(run) > 1:
            pts = " ".join(f"{x},{y}" for x, y in run)
            shapes.append(f'<polyline points="{pts}" fill="none" stroke="#b71c1c" stroke-width="2" '
                          'stroke-linejoin="round" stroke-linecap="round"/>')
        elif run:
            x, y = run[0]
            shapes.append(f'<circle cx="{x}" cy="{y}" r="1.8" fill="#b71c1c"/>')
    if values and values[-1] is not None:
        x, y = point(n - 1, float(values[-1]))
        shapes.append(f'<circle cx="{x}" cy="{y}" r="2.8" fill="#b71c1c"/>')
    return (f'<svg class="spark" role="img" aria-label="{escape(label, quote=True)}" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
            f'<title>{escape(label)}</title>{"".join(shapes)}</svg>')
