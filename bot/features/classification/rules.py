"""The rules of the branch's classification as found (docs/year-end.md §1.2, §1.5, §1.6, §3, §7), checked
before the meeting. Pure functions: no database, so the same checks serve the form, the card and the tests.

- Levels: the four of ``bot.services.levels`` (one list); anything else is refused.
- Points: 0 to ``POINTS_MAX``, and inside the band of the chosen level (Điều 11, Quy định 366).
- The cap on "Hoàn thành xuất sắc nhiệm vụ": at most ``cap_percent`` % of those rated "Hoàn thành tốt nhiệm
  vụ" (superseded Hướng dẫn 21-HD/BTCTW, a branch setting). The branch may propose more only with a reason
  (§1.5: the competent level decides); without one the proposal is refused with the rule quoted.
- The extra conditions of the top level (khoản 1 Điều 11) are shown as warnings, never enforced: the bot
  cannot count "tasks exceeded" from records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.i18n import _
from bot.services.errors import Conflict, InvalidInput
from bot.services.levels import BAND_FLOOR, LEVEL_KEYS, LEVELS, POINTS_MAX, band_text, level_for_points


def cap_rule() -> str:
    """The cap as quoted in docs/year-end.md §1.5, with its source and how sure we are."""
    return _(
        "“The competent level considers and decides the number of members rated ‘Excellently fulfilled "
        "duties’, not exceeding 20% of the members rated ‘Well fulfilled duties’ in each grassroots Party "
        "organisation” (Guidance 21-HD/BTCTW, 2019; under the old guidance, to be verified)."
    )


def excellent_conditions() -> str:
    """The extra conditions of the top level for a member (khoản 1 Điều 11 Quy định 366, quoted)."""
    return _(
        "“Completed 100% of the assigned tasks, on time, with quality and efficiency, of which at least 30% "
        "exceeded the requirements” (khoản 1 Điều 11, Quy định 366-QĐ/TW)."
    )


def check_level(level: str | None) -> str:
    if level not in LEVEL_KEYS:
        raise InvalidInput(_("That level is not one of the four levels of the framework. Please choose one of: "
                             "{levels}.").format(levels=", ".join(LEVELS[k]() for k in LEVEL_KEYS)))
    return level


def check_points(level: str, points: int | None) -> None:
    """Points are optional; given, they lie in 0–100 and inside the level's band."""
    if points is None:
        return
    if not 0 <= points <= POINTS_MAX:
        raise InvalidInput(_("Points must be between 0 and {max}.").format(max=POINTS_MAX))
    if level_for_points(points) != level:
        raise InvalidInput(_("{points} points do not match the level “{level}”: its band is {band}.").format(
            points=points, level=LEVELS[level](), band=band_text(level)))


def parse_points(text: str) -> int:
    """Points typed by the secretary: a whole number (refused politely otherwise)."""
    cleaned = text.strip().removesuffix("điểm").strip()
    if not cleaned.isdigit():
        raise InvalidInput(_("Please type the points as a whole number from 0 to {max}.").format(max=POINTS_MAX))
    return int(cleaned)


@dataclass(frozen=True)
class CapState:
    excellent: int
    good: int
    percent: int

    @property
    def allowed(self) -> int:
        """How many "excellent" the cap admits: ``percent`` % of "good", rounded down."""
        return self.good * self.percent // 100

    @property
    def broken(self) -> bool:
        return self.excellent > self.allowed

    def line(self) -> str:
        share = f"{self.excellent * 100 / self.good:.0f}%" if self.good else "—"
        return _("Excellent: {e}; well fulfilled: {g}; share {share} (cap {pct}%: at most {allowed}).").format(
            e=self.excellent, g=self.good, share=share, pct=self.percent, allowed=self.allowed)


def cap_state(levels: dict[int, str], percent: int) -> CapState:
    """The cap over the branch's proposals ``{person_id: level}``."""
    values = list(levels.values())
    return CapState(values.count("excellent"), values.count("good"), percent)


def check_cap(state: CapState, level: str, reason: str | None) -> None:
    """Refuse a proposal that leaves the cap broken without a reason, quoting the rule."""
    if level == "excellent" and state.broken and not (reason or "").strip():
        raise Conflict(
            _("This proposal would exceed the cap on “{level}”. {line}\nThe rule: {rule}\nThe branch may "
              "propose more only with a reason for the Party committee: please give the reason.").format(
                level=LEVELS["excellent"](), line=state.line(), rule=cap_rule())
        )


def warnings(level: str, self_assessment: dict[str, Any] | None, year_file: list[str] | None,
             state: CapState) -> list[str]:
    """What the secretary should look at before the meeting (never a refusal)."""
    out: list[str] = []
    if level == "excellent":
        if state.broken:
            out.append(_("Above the cap: {line}").format(line=state.line()))
        out.append(_("Conditions of the top level: {rule}").format(rule=excellent_conditions()))
        if not year_file:
            out.append(_("No year file yet to check them against."))
        points = (self_assessment or {}).get("points")
        if isinstance(points, int) and points < BAND_FLOOR["excellent"]:
            out.append(_("The member's own points ({points}) are under {floor}.").format(
                points=points, floor=BAND_FLOOR["excellent"]))
    own = (self_assessment or {}).get("level")
    if own in LEVEL_KEYS and level in LEVEL_KEYS and LEVEL_KEYS.index(level) < LEVEL_KEYS.index(own):
        out.append(_("Proposed above the member's own level ({own}).").format(own=LEVELS[own]()))
    return out
