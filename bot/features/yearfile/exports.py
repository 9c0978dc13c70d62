"""The year file as a Word document (.docx) and as a workbook (.xlsx), for one member or a whole branch.

Ready to file: local dates dd/mm/yyyy (real dates in the workbook), Vietnamese words, no internal ids.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.features.yearfile.service import YearFile
from bot.i18n import _
from bot.services.documents import DocSpec, Heading, Paragraph, Signer, Table, docx_bytes, place_date_line
from bot.services.sheets import Sheet, xlsx_bytes
from bot.text import clean_text, fold

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def _roman(n: int) -> str:
    return ROMAN[n - 1] if n <= len(ROMAN) else str(n)


def file_name(yf: YearFile, ext: str) -> str:
    """"ho-so-nam-2026-tran-van-an.docx": the person's name, never an id."""
    slug = "-".join(fold(clean_text(yf.name)).split()) or "dang-vien"
    slug = "".join(c for c in slug if c.isalnum() or c == "-")[:60]
    return f"ho-so-nam-{yf.year}-{slug}.{ext}"


def year_file_docx(yf: YearFile) -> bytes:
    blocks: list[Heading | Paragraph | Table] = [
        Paragraph(_("Full name: {name}").format(name=yf.name)),
        Paragraph(_("Branch: {branch}").format(branch=yf.branch)),
        Paragraph(_("Drawn up on {day} from what the branch recorded during the year.").format(
            day=yf.made_on.strftime("%d/%m/%Y")), italic=True),
    ]
    for n, sec in enumerate(yf.sections, 1):
        blocks.append(Heading(f"{_roman(n)}. {sec.title.upper()}"))
        blocks.append(Table([_("Year-file item"), _("Number"), _("Note")],
                            [[fig.label, fig.value, fig.note] for fig in sec.figures], widths_cm=[7, 2.5, 6.5]))
        listed: set[tuple[object, str]] = set()
        for fig in sec.figures:
            # A deed both commended and linked is one record: list it once per section (the counts above
            # still count it under each figure), so the paper file does not repeat a table four times.
            keys = {(r.day, r.text) for r in fig.rows}
            if not fig.rows or keys <= listed:
                continue
            listed |= keys
            blocks.append(Heading(f"{fig.label} ({fig.value})", level=2))
            blocks.append(Table([_("No."), _("Date"), _("Details")],
                                [[i, r.day.strftime("%d/%m/%Y"), r.text] for i, r in enumerate(fig.rows, 1)],
                                widths_cm=[1.2, 2.8, 12]))
    spec = DocSpec(
        title=_("Year file {year} of a Party member").format(year=yf.year),
        blocks=blocks,
        org_lines=[yf.org.upper(), yf.branch.upper()] if yf.org else [yf.branch.upper()],
        place_date=place_date_line("", yf.made_on.day, yf.made_on.month, yf.made_on.year),
        signers=[Signer(_("CONFIRMED BY THE BRANCH")), Signer(_("PARTY MEMBER"), yf.name)],
    )
    return docx_bytes(spec)


def _section_sheets(files: Sequence[YearFile], with_name: bool) -> list[Sheet]:
    """One sheet of dated rows per section, in the file's order (titles as the sections are named). The
    branch's workbook (with_name) does not wrap its ~20,000 rows: a wrapped cell costs openpyxl a style each,
    which alone took the 60-member workbook past the 2 s ceiling (benchmarks/bench_documents.py)."""
    order: dict[str, str] = {}
    rows: dict[str, list[list[object]]] = {}
    for yf in files:
        for sec in yf.sections:
            order.setdefault(sec.key, sec.title)
            for fig in sec.figures:
                for r in fig.rows:
                    rows.setdefault(sec.key, []).append(
                        ([yf.name] if with_name else []) + [fig.label, r.day, r.text])
    header = ([_("Party member")] if with_name else []) + [_("Year-file item"), _("Date"), _("Details")]
    return [Sheet(title, header, rows.get(key, []), wrap=not with_name, max_width=70) for key, title in order.items()]


def year_file_xlsx(yf: YearFile) -> bytes:
    summary = [[yf.name, sec.title, fig.label, fig.value, fig.note] for sec in yf.sections for fig in sec.figures]
    head = [_("Party member"), _("Section"), _("Year-file item"), _("Number"), _("Note")]
    return xlsx_bytes([Sheet(_("Summary"), head, summary), *_section_sheets([yf], with_name=False)])


def branch_xlsx(files: Sequence[YearFile]) -> bytes:
    """The branch's workbook: a summary sheet (one row per member, one column per figure), then the rows."""
    columns: dict[tuple[str, str], str] = {}
    for yf in files:
        for sec in yf.sections:
            for fig in sec.figures:
                columns.setdefault((sec.key, fig.key), fig.label)
    summary: list[list[object]] = []
    for i, yf in enumerate(files, 1):
        values = {(sec.key, fig.key): fig.value for sec in yf.sections for fig in sec.figures}
        summary.append([i, yf.name, *(values.get(k, 0) for k in columns)])
    head = [_("No."), _("Party member"), *columns.values()]
    return xlsx_bytes([Sheet(_("Summary"), head, summary), *_section_sheets(files, with_name=True)])
