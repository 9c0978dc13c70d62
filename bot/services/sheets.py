"""The one way the bot writes a spreadsheet (every .xlsx it sends is built here).

Every cell that holds text is written as text: openpyxl turns a string starting with "=" into a formula,
so a member named ``=HYPERLINK("http://…","Bấm vào đây")`` would become a live link in the secretary's
Excel. Here a string cell always gets the string data type, and one that Excel or LibreOffice would read
as a formula when edited (a leading =, +, -, @, tab or CR) also gets the quote prefix. Control characters
that openpyxl refuses (``IllegalCharacterError``: Word's Shift+Enter is \\x0b) are cleaned first, so one
odd deed never breaks the branch's exports. Numbers and dates the bot computes stay numbers and dates.

openpyxl is imported inside the functions, so starting the bot does not pay for it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.text import clean_text

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What a spreadsheet may read as the start of a formula (OWASP's CSV-injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_CHARS = 32_767  # Excel's limit for one cell
DATE_FORMAT = "dd/mm/yyyy"  # the local way of writing a date; the cell stays a real date
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
_TITLE_FORBIDDEN = re.compile(r"[\\*?:/\[\]]")  # characters a worksheet title may not hold


@dataclass
class Sheet:
    """One worksheet: a bold header row, then ``rows``.

    ``widths``: fixed column widths; None fits each column to its content (10 to ``max_width``).
    ``wrap``: wrap the text of the data rows (long deeds and self-assessments).
    """

    title: str
    header: Sequence[object]
    rows: Sequence[Sequence[object]]
    widths: Sequence[int] | None = None
    max_width: int = 60
    wrap: bool = False


def cell_text(value: str) -> str:
    """The text a cell may hold: no control character openpyxl or Excel refuses, within Excel's limit."""
    return clean_text(value)[:MAX_CELL_CHARS]


def set_cell(cell: Any, value: object) -> None:
    """Write ``value`` into an openpyxl cell: text always as text (never a formula), dates as real dates
    shown dd/mm/yyyy (with the time where there is one), other values as is."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError("convert to local time before writing a datetime into a workbook")
        cell.value = value
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    elif isinstance(value, str):
        text = cell_text(value)
        cell.value = text
        cell.data_type = "s"  # openpyxl guessed "f" for a leading "="; a string stays a string
        if text.startswith(FORMULA_STARTS):
            cell.quotePrefix = True  # Excel's leading apostrophe: shown as typed, still text when edited
    else:
        cell.value = value


def _out_cell(ws: Any, value: object, *, style: Any = None) -> Any:
    """One cell for a write-only sheet: through :func:`set_cell` (``style``: a Font or an Alignment), or, for a
    plain string that cannot be read as a formula or an error value and for a number, the value itself."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    if style is None:
        if isinstance(value, str):
            text = cell_text(value)
            if not text.startswith((*FORMULA_STARTS, "#")):  # "#N/A" would be read as an error value
                return text  # appended as is: openpyxl writes a plain string as a string
        elif value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
            return value
    out = WriteOnlyCell(ws)
    set_cell(out, value)
    if isinstance(style, Font):
        out.font = style
    elif style is not None:
        out.alignment = style
    return out


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """A workbook with ``sheets`` in order, as .xlsx bytes.

    Written in openpyxl's write-only mode (rows streamed, widths measured first): about twice as fast as
    building every cell in memory, which keeps a 60-member branch's year files (~20,000 rows) under the 2 s
    of issue #15 (benchmarks/bench_documents.py). Each cell still goes through :func:`set_cell`, except a
    plain string that cannot be read as a formula and a number, which are appended as they are."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for sheet in sheets:
        ws = wb.create_sheet(title=_TITLE_FORBIDDEN.sub("-", cell_text(sheet.title))[:31] or "-")
        lengths: dict[int, int] = {}
        for row in [sheet.header, *sheet.rows]:
            for c, value in enumerate(row, 1):
                shown = cell_text(value) if isinstance(value, str) else "" if value is None else str(value)
                if isinstance(value, date):
                    shown = "00/00/0000 00:00" if isinstance(value, datetime) else "00/00/0000"
                longest = max((len(line) for line in shown.split("\n")), default=0)
                lengths[c] = max(lengths.get(c, 0), longest)
        for c in range(1, max(lengths, default=0) + 1):
            if sheet.widths is not None and c <= len(sheet.widths):
                width = sheet.widths[c - 1]
            else:
                width = min(sheet.max_width, max(10, lengths.get(c, 0) + 2))
            ws.column_dimensions[get_column_letter(c)].width = width
        if sheet.rows:
            ws.freeze_panes = "A2"  # the header stays in view while scrolling

        ws.append([_out_cell(ws, v, style=bold) for v in sheet.header])
        for row in sheet.rows:
            ws.append([_out_cell(ws, v, style=wrap if sheet.wrap else None) for v in row])
    if not wb.sheetnames:
        wb.create_sheet("-")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
