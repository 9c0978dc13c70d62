"""Render one content item as the daily message (Reply HTML subset, see bot.messages.esc)."""

from __future__ import annotations

from bot.content.model import ContentItem
from bot.messages import esc

TITLE = "🌅 <b>Học Bác mỗi ngày</b>"
AUTHOR = "Hồ Chí Minh"
REFLECTION_LABEL = "Câu hỏi gợi mở (của hocbac)"
# Zalo's message limit; checked by the loader on the rendered item.
MAX_RENDERED_CHARS = 2000


def format_date(value: str | None) -> str:
    """"1945-09-02" -> "02/09/1945", "1949-06" -> "06/1949", "1950" -> "1950"."""
    if not value:
        return ""
    parts = value.split("-")
    return "/".join(reversed(parts))


def source_line(item: ContentItem) -> str:
    """"— Hồ Chí Minh, <work>, <date>" (plain text, not escaped)."""
    parts = [AUTHOR]
    if item.work:
        parts.append(item.work)
    if item.date:
        parts.append(format_date(item.date))
    return "— " + ", ".join(parts)


def render_item(item: ContentItem, header: str | None = None) -> str:
    """The daily message: title, optional theme line, the quote, its source, our reflection.

    Everything from the item is escaped; only our own fixed markup is HTML.
    """
    lines = [TITLE]
    if header:
        lines.append(f"<i>{esc(header)}</i>")
    lines.append("")
    quote = f"“{esc(item.text)}”"
    if item.lead:
        quote = f"{esc(item.lead)} {quote}"
    lines.append(quote)
    lines.append("")
    lines.append(esc(source_line(item)))
    if item.citation:
        lines.append(f"<i>{esc(item.citation)}</i>")
    if item.reflection:
        lines.append("")
        lines.append(f"💭 <b>{REFLECTION_LABEL}:</b> {esc(item.reflection)}")
    return "\n".join(lines)
