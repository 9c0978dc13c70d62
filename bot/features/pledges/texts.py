"""How a pledge reads: the card, the check-in message and the year-end template.

Everything here is rendered in the current locale (callers wrap outbox messages in ``use_locale``).
The year-end draft is a plain template filled only with the member's own records: no text is made up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.i18n import _
from bot.messages import esc
from bot.services.levels import LEVELS  # noqa: F401  (re-exported: one list of levels for every feature)

CONTENT_KEYS = ("duty", "items", "shortcoming", "remedy", "commitment")
ITEM_KEYS = ("what", "criterion", "when")
MAX_ITEMS = 3

# Check-in answers: stored code -> (short mark for buttons, label).
CHECKIN_MARKS: dict[str, tuple[str, Callable[[], str]]] = {
    "done": ("✓", lambda: _("✓ done")),
    "doing": ("⏳", lambda: _("⏳ in progress")),
    "not": ("✗", lambda: _("✗ not yet")),
}

# Year-end self-assessed levels (Quy định 124-QĐ/TW wording).


def default_commitment() -> str:
    return _(
        "I promise to carry out what I have registered seriously, and to study and follow President "
        "Hồ Chí Minh's example in my work and daily life."
    )


def content_of(data: dict[str, Any]) -> dict[str, Any]:
    """The pledge content out of a form's answers (drops the form's bookkeeping)."""
    items = [
        {k: str(it.get(k) or "") for k in ITEM_KEYS} | ({"id": it["id"]} if it.get("id") else {})
        for it in data.get("items") or []
    ]
    return {
        "duty": data.get("duty") or "",
        "items": items,
        "shortcoming": data.get("shortcoming") or "",
        "remedy": data.get("remedy") or "",
        "commitment": data.get("commitment") or "",
    }


def is_complete(content: dict[str, Any]) -> bool:
    items = content.get("items") or []
    return (
        bool(content.get("duty"))
        and 1 <= len(items) <= MAX_ITEMS
        and all(all(it.get(k) for k in ITEM_KEYS) for it in items)
        and all(content.get(k) for k in ("shortcoming", "remedy", "commitment"))
    )


def status_label(status: str, approved_version: int | None = None) -> str:
    if status == "submitted" and approved_version:
        return _("approved; an amendment is waiting for the secretary")
    return {
        "draft": lambda: _("draft, not sent yet"),
        "submitted": lambda: _("waiting for the secretary's approval"),
        "returned": lambda: _("returned by the secretary for changes"),
        "approved": lambda: _("approved by the secretary"),
    }.get(status, lambda: status)()


def period_label(period: str) -> str:
    """'2026-03' -> 'tháng 3/2026'; '2026-Q2' -> 'quý 2/2026'."""
    year, _sep, part = period.partition("-")
    if part.startswith("Q"):
        return _("quarter {q}/{year}").format(q=part[1:], year=year)
    return _("month {m}/{year}").format(m=int(part), year=year)


@dataclass
class ItemProgress:
    done: int = 0
    doing: int = 0
    not_yet: int = 0
    last: str | None = None  # the latest answer code
    deeds: list[tuple[date, str]] = field(default_factory=list)

    @property
    def rounds(self) -> int:
        return self.done + self.doing + self.not_yet


def render_card(
    content: dict[str, Any],
    *,
    year: int,
    name: str = "",
    branch: str = "",
    theme: str | None = None,
    status: str | None = None,
    progress: dict[int, ItemProgress] | None = None,
    comment: str | None = None,
) -> str:
    lines = [_("📝 <b>Pledge to study and follow Uncle Hồ — {year}</b>").format(year=year)]
    if theme:
        lines.append(_("🎯 Theme of the year: {theme}").format(theme=esc(theme)))
    if name:
        lines.append(f"👤 {esc(name)}" + (f" — {esc(branch)}" if branch else ""))
    if status:
        lines.append(_("Status: {status}").format(status=status))
    if comment:
        lines.append(_("💬 Secretary's comment: <i>{comment}</i>").format(comment=esc(comment)))
    lines.append("")
    lines.append(_("<b>Position or duty:</b> {duty}").format(duty=esc(content.get("duty") or "—")))
    lines.append(_("<b>Deeds I register:</b>"))
    for i, it in enumerate(content.get("items") or [], 1):
        lines.append(f"{i}. {esc(it.get('what') or '—')}")
        lines.append(
            "   • " + _("Measured by: {criterion}").format(criterion=esc(it.get("criterion") or "—"))
        )
        lines.append("   • " + _("When: {when}").format(when=esc(it.get("when") or "—")))
        prog = (progress or {}).get(it.get("id") or 0)
        if prog is not None:
            if prog.rounds:
                lines.append(
                    "   • "
                    + _("Check-ins: ✓ {done} · ⏳ {doing} · ✗ {not_yet}").format(
                        done=prog.done, doing=prog.doing, not_yet=prog.not_yet
                    )
                )
            for day, text in prog.deeds:
                lines.append(f"   ✍️ {day.strftime('%d/%m')}: {esc(text)}")
    lines.append(_("<b>Shortcoming to fix:</b> {text}").format(text=esc(content.get("shortcoming") or "—")))
    lines.append(_("<b>How I will fix it:</b> {text}").format(text=esc(content.get("remedy") or "—")))
    lines.append(_("<b>Commitment:</b> <i>{text}</i>").format(text=esc(content.get("commitment") or "—")))
    return "\n".join(lines)


def render_checkin(
    period: str, items: list[tuple[int, str]], answers: dict[int, str], note: str | None
) -> str:
    lines = [
        _("🔔 <b>Pledge check-in — {period}</b>").format(period=period_label(period)),
        _("How did each of your deeds go? One tap per deed:"),
    ]
    for i, (item_id, what) in enumerate(items, 1):
        code = answers.get(item_id)
        mark = CHECKIN_MARKS[code][1]() if code in CHECKIN_MARKS else "…"
        lines.append(f"{i}. {esc(what)} — <b>{mark}</b>")
    if note:
        lines.append(_("📝 Note: {note}").format(note=esc(note)))
    if len(answers) >= len(items):
        lines.append("")
        lines.append(_("Thank you! Your answers are saved."))
    return "\n".join(lines)


@dataclass
class YearRecord:
    """Everything the year-end template may use, all from the member's own records."""

    year: int
    duty: str
    items: list[dict[str, Any]]  # what, criterion, when, id
    progress: dict[int, ItemProgress]
    shortcoming: str
    remedy: str
    midyear: str | None
    notes: list[tuple[date, str]]
    amendments: int


def yearend_draft(rec: YearRecord) -> str:
    """The "học tập và làm theo" results for the self-assessment's first section, by template only (plain text,
    no HTML); the shortcoming and its remedy have their own sections."""
    out = [
        _(
            "In {year}, I registered to study and follow Hồ Chí Minh's thought, morality and style with "
            "{n} deed(s) tied to my duty ({duty}). Results:"
        ).format(year=rec.year, n=len(rec.items), duty=rec.duty)
    ]
    for i, it in enumerate(rec.items, 1):
        prog = rec.progress.get(it.get("id") or 0, ItemProgress())
        line = _("{i}. {what} (measured by: {criterion}; when: {when}).").format(
            i=i, what=it["what"], criterion=it["criterion"], when=it["when"]
        )
        if prog.rounds:
            line += " " + _(
                "In {n} check-in(s): done {done}, in progress {doing}, not yet {not_yet}."
            ).format(n=prog.rounds, done=prog.done, doing=prog.doing, not_yet=prog.not_yet)
        else:
            line += " " + _("No check-in answers recorded.")
        if prog.deeds:
            line += " " + _("Deeds recorded: {list}.").format(
                list="; ".join(f"{d.strftime('%d/%m/%Y')}: {t}" for d, t in prog.deeds)
            )
        out.append(line)
    if rec.midyear:
        out.append(_("Mid-year self-check: {text}").format(text=rec.midyear))
    if rec.notes:
        out.append(
            _("Notes from the check-ins: {list}.").format(
                list="; ".join(f"{d.strftime('%d/%m')}: {t}" for d, t in rec.notes)
            )
        )
    if rec.amendments:
        out.append(_("The pledge was amended {n} time(s) during the year.").format(n=rec.amendments))
    return "\n".join(out)


def with_example(question: str, example: str) -> str:
    """A form question with an example answer under it, in italics."""
    return f"{question}\n<i>{_('Example: {example}').format(example=example)}</i>"
