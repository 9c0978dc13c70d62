"""Render one content item: the one place that decides what members read (Telegram and Zalo).

The rule that matters most: inside the quotation marks goes exactly the item's ``text`` — never a word
of ours. Verse lines (" / " in the corpus, or a newline) become line breaks; everything else is verbatim.
After the quote come, outside the marks: "— Hồ Chí Minh, <work>, <date>", "Trích theo: <via>", the
citation and "Nguồn: <source_outlet>". ``note`` and ``also_seen`` are internal and never rendered.

``render_item`` gives the channel-neutral Reply HTML (bot.messages): on Telegram the source is a link;
Zalo's renderer (bot.channels.zalo.render.to_plain) prints a link as "label (address)", which is what
``render_plain`` returns, so both channels go through this module. When the Zalo text would not fit in
one message, the address is left out (the outlet's name stays).
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from bot.content.model import ContentItem
from bot.messages import esc

TITLE = "🌅 <b>Học Bác mỗi ngày</b>"
AUTHOR = "Hồ Chí Minh"
REFLECTION_LABEL = "Câu hỏi gợi mở (của hocbac)"
VIA_LABEL = "Trích theo"
SOURCE_LABEL = "Nguồn"
# Zalo's message limit, in UTF-16 code units; checked by the loader on the rendered item.
MAX_RENDERED_CHARS = 2000
# Room kept on Zalo for the numbered "Đã đọc ✓" choice the channel appends to the daily message.
ZALO_CHOICES_RESERVE = 40
# The corpus writes verse lines as "line / line" (or with newlines).
VERSE_BREAK = " / "
OPEN, CLOSE = "“", "”"
# Used instead when the text itself starts with a quotation mark, so no doubled "““" is printed.
ALT_OPEN, ALT_CLOSE = "«", "»"
_PAIRS = {"“": "”", '"': '"'}


def utf16_len(text: str) -> int:
    """Length as Zalo counts it (UTF-16 code units: an emoji counts 2)."""
    return len(text.encode("utf-16-le")) // 2


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


def verse_lines(text: str) -> str:
    """The text with verse separators as line breaks; nothing else changes."""
    return text.replace(VERSE_BREAK, "\n")


def quote_marks(text: str) -> tuple[str, str]:
    """The marks to put around ``text``.

    - The text is wholly quoted already (“…” with no other closing mark inside): none, it has its own.
    - It starts with a quotation of its own (“Quan tham vì dân dại”. Nếu …): « », never a doubled “.
    - Otherwise “ ”.
    """
    first = text[:1]
    if first in _PAIRS:
        closing = _PAIRS[first]
        if len(text) > 1 and text.endswith(closing) and closing not in text[1:-1]:
            return "", ""
        return ALT_OPEN, ALT_CLOSE
    return OPEN, CLOSE


def outlet_name(item: ContentItem) -> str:
    """The outlet's name, or the site's host when an imported item gives none."""
    return item.source_outlet or urlsplit(item.source_url).hostname or item.source_url


def _quote(item: ContentItem, escape: bool) -> str:
    e = esc if escape else str
    opening, closing = quote_marks(item.text)
    quote = f"{opening}{e(verse_lines(item.text))}{closing}"
    if item.lead:
        quote = f"{e(item.lead)} {quote}"
    return quote


def _body(item: ContentItem, header: str | None, *, html_out: bool, source: str) -> str:
    e = esc if html_out else str
    lines = [TITLE if html_out else "🌅 Học Bác mỗi ngày"]
    if header:
        lines.append(f"<i>{esc(header)}</i>" if html_out else header)
    lines += ["", _quote(item, html_out), "", e(source_line(item))]
    if item.via:
        lines.append(f"{VIA_LABEL}: {e(item.via)}")
    if item.citation:
        lines.append(f"<i>{esc(item.citation)}</i>" if html_out else item.citation)
    lines.append(f"{SOURCE_LABEL}: {source}")
    if item.reflection:
        label = f"<b>{REFLECTION_LABEL}:</b>" if html_out else f"{REFLECTION_LABEL}:"
        lines += ["", f"💭 {label} {e(item.reflection)}"]
    return "\n".join(lines)


def _plain_source(item: ContentItem, with_url: bool) -> str:
    name = outlet_name(item)
    if not with_url or name == item.source_url:
        return name
    return f"{name} ({item.source_url})"


def render_plain(item: ContentItem, header: str | None = None,
                 limit: int = MAX_RENDERED_CHARS - ZALO_CHOICES_RESERVE) -> str:
    """The daily message as Zalo shows it (plain text): the source's bare address when it fits."""
    text = _body(item, header, html_out=False, source=_plain_source(item, True))
    if utf16_len(text) <= limit:
        return text
    return _body(item, header, html_out=False, source=_plain_source(item, False))


def render_telegram(item: ContentItem, header: str | None = None, *, link: bool = True) -> str:
    """The daily message in the Reply HTML subset; the source's name links to its page."""
    name = esc(outlet_name(item))
    source = f'<a href="{html.escape(item.source_url, quote=True)}">{name}</a>' if link else name
    return _body(item, header, html_out=True, source=source)


def render_item(item: ContentItem, header: str | None = None) -> str:
    """The channel-neutral daily message (Reply HTML): Telegram shows it as is, Zalo as ``render_plain``.

    Everything from the item is escaped; only our own fixed markup is HTML. The link is dropped only
    when Zalo's one message could not hold the address (then neither channel shows it).
    """
    plain = render_plain(item, header)
    return render_telegram(item, header, link=item.source_url in plain)


def rendered_length(item: ContentItem) -> int:
    """What the loader checks against MAX_RENDERED_CHARS: the Zalo text without the address."""
    return utf16_len(_body(item, None, html_out=False, source=_plain_source(item, False)))


def render_snippet(item: ContentItem, max_chars: int) -> str:
    """A search result (Reply HTML): the quote, cut at a word with "…" outside the marks, and its source."""
    text = verse_lines(item.text)
    cut = len(text) > max_chars
    if cut:
        text = text[:max_chars].rsplit(" ", 1)[0].rstrip(" ,;:")
    opening, closing = quote_marks(item.text)
    if cut and not closing:
        opening, closing = ALT_OPEN, ALT_CLOSE  # its own closing mark was cut off
    return f"{opening}{esc(text)}{closing}{' …' if cut else ''}\n<i>{esc(source_line(item))}</i>"
