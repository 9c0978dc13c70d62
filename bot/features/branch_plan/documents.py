"""The branch's plan and reports as Word papers (through bot/services/documents.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.features.branch_plan.models import BranchDoc
from bot.features.branch_plan.service import figure_lines, parts, period
from bot.i18n import _
from bot.services.documents import Block, Bullets, DocSpec, Heading, Paragraph, Signer, docx_bytes, place_date_line
from bot.text import branch_title

PLAN_TOPIC = "học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"


def _text_blocks(text: str | None) -> list[Block]:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    if not lines:
        return [Paragraph("…", italic=True)]
    return [Bullets(lines)] if len(lines) > 1 else [Paragraph(lines[0])]


def render_docx(doc: BranchDoc, branch_name: str, org_name: str, figures: dict[str, Any], today: date) -> bytes:
    fields = doc.fields or {}
    blocks: list[Block] = []
    if doc.kind == "plan":
        title = _("Plan: {topic}, year {year}").format(topic=PLAN_TOPIC, year=doc.year)
        for part in parts("plan"):
            blocks += [Heading(part.title()), *_text_blocks(fields.get(part.key))]
    else:
        start, end = period(doc.kind, doc.year)
        title = (_("Six-month review report: {topic}, first half of {year}") if doc.kind == "half"
                 else _("Year-end review report: {topic}, year {year}")).format(topic=PLAN_TOPIC, year=doc.year)
        blocks.append(Paragraph(_("Period: from {start} to {end}.").format(
            start=start.strftime("%d/%m/%Y"), end=date.fromordinal(end.toordinal() - 1).strftime("%d/%m/%Y")),
            italic=True))
        first, *rest = parts(doc.kind)
        blocks += [Heading(_("I. Results")), Heading(_("1. Figures recorded by the bot"), level=2),
                   Bullets(figure_lines(figures)), Heading("2. " + first.title(), level=2),
                   *_text_blocks(fields.get(first.key))]
        for part in rest:
            blocks += [Heading(part.title()), *_text_blocks(fields.get(part.key))]
    return docx_bytes(DocSpec(
        title=title,
        org_lines=(org_name.upper(), branch_title(branch_name).upper()),
        place_date=place_date_line("", today.day, today.month, today.year),
        blocks=blocks,
        signers=(Signer(_("ON BEHALF OF THE BRANCH — SECRETARY")),),
    ))
