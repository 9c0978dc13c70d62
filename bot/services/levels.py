"""The four quality levels of Quy định 366-QĐ/TW and its 100-point framework (docs/year-end.md §1).

One list for the member's self-assessment, the branch's classification and every paper that names a level.
Bands: HTXSNV from 90 (quoted), HTTNV 70 to under 90, HTNV 50 to under 70 (paraphrased), KHTNV under 50
(inferred). The framework: 30 points of common criteria plus 70 of task results (quoted).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.i18n import _

# Best first: the order of every list and table.
LEVEL_KEYS: tuple[str, ...] = ("excellent", "good", "done", "not_done")

LEVELS: dict[str, Callable[[], str]] = {
    "excellent": lambda: _("Excellently fulfilled duties"),
    "good": lambda: _("Well fulfilled duties"),
    "done": lambda: _("Fulfilled duties"),
    "not_done": lambda: _("Did not fulfil duties"),
}

POINTS_MAX = 100
COMMON_POINTS_MAX = 30  # "Nhóm tiêu chí chung (30 điểm)"
RESULTS_POINTS_MAX = 70  # "nhóm tiêu chí về kết quả thực hiện nhiệm vụ (70 điểm)"
# Lowest points of each level's band, best first.
BAND_FLOOR: dict[str, int] = {"excellent": 90, "good": 70, "done": 50, "not_done": 0}
# The share of "excellent" as a percentage of those rated "good" (superseded Hướng dẫn 21; a setting).
DEFAULT_EXCELLENT_CAP_PERCENT = 20


def level_for_points(points: int) -> str:
    """The level whose band holds ``points`` (0–100)."""
    if not 0 <= points <= POINTS_MAX:
        raise ValueError(f"points out of range: {points}")
    return next(key for key in LEVEL_KEYS if points >= BAND_FLOOR[key])


def band_text(level: str) -> str:
    """The band of ``level`` as the member reads it: "từ 90 điểm", "từ 70 đến dưới 90 điểm"."""
    floor = BAND_FLOOR[level]
    i = LEVEL_KEYS.index(level)
    if i == 0:
        return _("from {low} points").format(low=floor)
    upper = BAND_FLOOR[LEVEL_KEYS[i - 1]]
    if floor == 0:
        return _("under {high} points").format(high=upper)
    return _("from {low} to under {high} points").format(low=floor, high=upper)
