"""The one way the bot writes a Word document (every .docx it sends is built here).

A document is described as data (a title block, headings, paragraphs, tables, a signature block) and
rendered by :func:`docx_bytes`, so each feature writes what goes in, not how Word lays it out. The layout is
the usual one for Party papers: the organisation's name top left and the national motto
("ĐẢNG CỘNG SẢN VIỆT NAM") top right, the place and date line, the title in capitals, Times New Roman 13 pt,
and the signers at the foot.

User text is written as plain runs (python-docx escapes XML itself); control characters Word refuses are
cleaned first. Dates are written by the caller in local dd/mm/yyyy (``bot.text``/``bot.services.when``).
python-docx is imported inside the function, so starting the bot does not pay for it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.text import clean_text

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FONT = "Times New Roman"
FONT_PT = 13


@dataclass
class Heading:
    text: str
    level: int = 1  # 1: "I. …" section heading (bold); 2: sub-heading (bold italic)


@dataclass
class Paragraph:
    text: str
    bold: bool = False
    italic: bool = False
    center: bool = False


@dataclass
class Bullets:
    items: Sequence[str]


@dataclass
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[object]]
    widths_cm: Sequence[float] | None = None


@dataclass
class Signer:
    role: str  # "BÍ THƯ", "NGƯỜI GHI BIÊN BẢN", "NGƯỜI TỰ KIỂM ĐIỂM"
    name: str = ""  # left blank for the person to write by hand


Block = Heading | Paragraph | Bullets | Table


@dataclass
class DocSpec:
    """One document. ``org_lines``: the issuing body, top left (e.g. "ĐẢNG BỘ PHƯỜNG X", "CHI BỘ KHU PHỐ 3").
    ``place_date``: "Hà Nội, ngày 30 tháng 11 năm 2026" (see :func:`place_date_line`)."""

    title: str
    blocks: Sequence[Block] = ()
    org_lines: Sequence[str] = ()
    subtitle: str = ""
    place_date: str = ""
    signers: Sequence[Signer] = field(default_factory=tuple)
    motto: bool = True


def place_date_line(place: str, day: int, month: int, year: int) -> str:
    """The dated line of a Party paper: "<place>, ngày 05 tháng 12 năm 2026" (place may be empty)."""
    date_part = f"ngày {day:02d} tháng {month:02d} năm {year}"
    return f"{place}, {date_part}" if place else date_part.capitalize()


def _text(value: object) -> str:
    return clean_text("" if value is None else str(value))


def docx_bytes(spec: DocSpec) -> bytes:
    """Render ``spec`` as .docx bytes."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(FONT_PT)
    section = doc.sections[0]
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)

    def para(text: str, *, bold: bool = False, italic: bool = False, align: object = None) -> None:
        p = doc.add_paragraph()
        run = p.add_run(_text(text))
        run.bold, run.italic = bold, italic
        if align is not None:
            p.alignment = align

    if spec.org_lines or spec.motto:
        head = doc.add_table(rows=1, cols=2)
        left, right = head.rows[0].cells
        left.text = ""
        for i, line in enumerate(spec.org_lines):
            p = left.paragraphs[0] if i == 0 else left.add_paragraph()
            p.add_run(_text(line)).bold = i == len(spec.org_lines) - 1
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if spec.motto:
            p = right.paragraphs[0]
            p.add_run("ĐẢNG CỘNG SẢN VIỆT NAM").bold = True
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if spec.place_date:
            p = right.add_paragraph()
            p.add_run(_text(spec.place_date)).italic = True
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif spec.place_date:
        para(spec.place_date, italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT)

    para(spec.title.upper(), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    if spec.subtitle:
        para(spec.subtitle, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)

    for block in spec.blocks:
        if isinstance(block, Heading):
            para(block.text, bold=True, italic=block.level > 1)
        elif isinstance(block, Paragraph):
            para(block.text, bold=block.bold, italic=block.italic,
                 align=WD_ALIGN_PARAGRAPH.CENTER if block.center else None)
        elif isinstance(block, Bullets):
            for item in block.items:
                para(f"- {_text(item)}")
        elif isinstance(block, Table):
            table = doc.add_table(rows=1, cols=len(block.header))
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for cell, title in zip(table.rows[0].cells, block.header, strict=True):
                cell.text = ""
                cell.paragraphs[0].add_run(_text(title)).bold = True
            for row in block.rows:
                cells = table.add_row().cells
                for cell, value in zip(cells, row, strict=False):
                    cell.text = _text(value)
            if block.widths_cm:
                for row in table.rows:
                    for cell, width in zip(row.cells, block.widths_cm, strict=False):
                        cell.width = Cm(width)

    if spec.signers:
        doc.add_paragraph()
        sign = doc.add_table(rows=1, cols=len(spec.signers))
        for cell, signer in zip(sign.rows[0].cells, spec.signers, strict=True):
            p = cell.paragraphs[0]
            p.add_run(_text(signer.role)).bold = True
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            hint = cell.add_paragraph()
            hint.add_run("(Ký, ghi rõ họ tên)").italic = True
            hint.alignment = WD_ALIGN_PARAGRAPH.CENTER
            for _ in range(3):
                cell.add_paragraph()
            name = cell.add_paragraph()
            name.add_run(_text(signer.name)).bold = True
            name.alignment = WD_ALIGN_PARAGRAPH.CENTER

    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def docx_text(data: bytes) -> str:
    """Every paragraph and table cell of a .docx, one per line: for tests and for previews in chat."""
    from docx import Document

    doc = Document(io.BytesIO(data))
    lines: list[str] = []
    body = doc.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append("".join(t.text or "" for t in child.iter() if t.tag.endswith("}t")))
        elif tag == "tbl":
            for tr in child.iter():
                if tr.tag.endswith("}tr"):
                    cells = []
                    for tc in tr:
                        if tc.tag.endswith("}tc"):
                            texts = ("".join(t.text or "" for t in p.iter() if t.tag.endswith("}t"))
                                     for p in tc if p.tag.endswith("}p"))
                            cells.append(" ".join(t for t in texts if t.strip()))
                    lines.append(" | ".join(cells))
    return "\n".join(lines)
