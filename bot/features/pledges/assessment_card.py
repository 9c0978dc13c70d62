"""The year-end self-assessment as the member and the secretary read it: the review card and its buttons."""

from __future__ import annotations

from dataclasses import dataclass

from bot.features.pledges.callbacks import YearendEdit, YearendSend, YearendWithdraw
from bot.features.pledges.models import PledgeReview
from bot.features.pledges.yearend_form import form_sections, text_sections
from bot.i18n import _
from bot.messages import Button, esc
from bot.services.levels import COMMON_POINTS_MAX, LEVELS, POINTS_MAX, RESULTS_POINTS_MAX, band_text, level_for_points

EDITABLE = ("draft", "withdrawn")


def sections_of(r: PledgeReview) -> dict[str, str]:
    """The text of each section by key; a review written before the form had sections keeps its one
    paragraph as the first section."""
    if r.sections:
        return {str(k): str(v) for k, v in r.sections.items()}
    first = text_sections(r.form)[0].key
    return {first: r.text} if r.text else {}


def joined_text(form: str, sections: dict[str, str]) -> str:
    """The plain text of all sections, titled (the ``text`` column: search and erasure)."""
    return "\n\n".join(f"{sec.title()}:\n{sections.get(sec.key, '')}" for sec in text_sections(form))


@dataclass(frozen=True)
class CardData:
    review_id: int
    year: int
    status: str
    form: str
    sections: tuple[tuple[str, str], ...]  # (key, text) in the form's order
    points_common: int | None
    points_results: int | None
    level: str | None
    band_confirmed: bool
    version: int

    @property
    def points(self) -> int | None:
        if self.points_common is None or self.points_results is None:
            return None
        return self.points_common + self.points_results

    @property
    def band_level(self) -> str | None:
        """The level whose band holds the points, when it differs from the proposed level."""
        if self.points is None or self.level is None:
            return None
        band = level_for_points(self.points)
        return band if band != self.level else None


def card_data(r: PledgeReview, year: int) -> CardData:
    texts = sections_of(r)
    return CardData(
        review_id=r.id or 0, year=year, status=r.status, form=r.form,
        sections=tuple((sec.key, texts.get(sec.key, "")) for sec in text_sections(r.form)),
        points_common=r.points_common, points_results=r.points_results, level=r.level,
        band_confirmed=r.band_confirmed, version=r.version,
    )


STATUS_WORDS = {
    "draft": lambda: _("draft, not sent"),
    "withdrawn": lambda: _("withdrawn, being revised"),
    "submitted": lambda: _("sent to the secretary"),
    "locked": lambda: _("being reviewed by the branch"),
}


def points_line(d: CardData) -> str:
    if d.points is None:
        return _("not given")
    return _("{common}/{cmax} common + {results}/{rmax} results = <b>{total}/{tmax}</b>").format(
        common=d.points_common, cmax=COMMON_POINTS_MAX, results=d.points_results, rmax=RESULTS_POINTS_MAX,
        total=d.points, tmax=POINTS_MAX)


def mismatch_text(d: CardData) -> str:
    band = d.band_level
    if band is None or d.level is None:
        return ""
    return _("{total} points fall in the band of “{band}” ({band_text}), not of the level proposed, "
             "“{level}” ({level_text}).").format(
        total=d.points, band=LEVELS[band](), band_text=band_text(band), level=LEVELS[d.level](),
        level_text=band_text(d.level))


def card_text(d: CardData, name: str | None = None) -> str:
    head = _("📄 <b>Year-end self-assessment {year}</b>").format(year=d.year)
    if name:
        head += f" — {esc(name)}"
    lines = [head, _("Status: {status}").format(status=STATUS_WORDS.get(d.status, lambda: d.status)())]
    texts = dict(d.sections)
    for sec in form_sections(d.form):
        if sec.kind == "text":
            lines.append(f"\n<b>{esc(sec.title())}</b>")
            lines.append(f"<blockquote>{esc(texts.get(sec.key) or '—')}</blockquote>")
        elif sec.kind == "points":
            lines.append(f"\n<b>{esc(sec.title())}</b>: {points_line(d)}")
        else:
            level = f"<b>{LEVELS[d.level]()}</b>" if d.level in LEVELS else _("not chosen yet")
            lines.append(f"<b>{esc(sec.title())}</b>: {level}")
    if d.band_level is not None:
        lines.append("⚠️ " + mismatch_text(d) + (" " + _("(kept by the member)") if d.band_confirmed else ""))
    return "\n".join(lines)


def card_buttons(d: CardData) -> list[list[Button]]:
    if d.status in EDITABLE:
        return [[Button(_("📨 Send"), YearendSend(d.review_id).pack()),
                 Button(_("✏️ Edit"), YearendEdit(d.review_id).pack())]]
    if d.status == "submitted":
        return [[Button(_("↩️ Withdraw to revise"), YearendWithdraw(d.review_id).pack())]]
    return []
