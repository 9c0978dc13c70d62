"""The large-print card ("Nhận kèm ảnh chữ lớn"): the day's item as a PNG for reading at arm's length on a
phone and forwarding to family.

The card carries the quote, the attribution ("— Hồ Chí Minh, <work>, <date>") and the source lines; the text
is built here from the item's fields (never from the HTML message), wrapped to the card's width, and the
card grows in height with the text. It is drawn with Pillow (a dependency of matplotlib) in matplotlib's
bundled DejaVu Sans, which covers every precomposed Vietnamese letter: nothing is downloaded at run time.

A card is rendered once per item: its media-store key is remembered under a hash of the drawn text and
``RENDERER_VERSION`` (in memory and in ``MEDIA_DIR/cards``), so every member and every worker reuses it.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import io
import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot.content import ContentItem
from bot.content.render import (
    SOURCE_LABEL,
    VIA_LABEL,
    outlet_name,
    quote_marks,
    source_line,
    verse_lines,
)
from bot.i18n import _
from bot.messages import MediaRef
from bot.services.deps import Deps
from bot.services.media import MediaStore

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

log = logging.getLogger("hocbac.daily.card")

# Bump when the drawing changes: cached cards of the old look are then drawn again.
RENDERER_VERSION = "card-1"

WIDTH = 1080
MARGIN = 80
BAND_HEIGHT = 132
TITLE = "HỌC BÁC MỖI NGÀY"
BODY_PX = 46  # large print; the floor is 28 px
LONG_BODY_PX = 38  # for the longest items, so the card stays readable as one phone screenful or two
LONG_BODY_LINES = 28
ATTRIBUTION_PX = 36
DETAIL_PX = 30
TITLE_PX = 44
MIN_PX = 28  # nothing on the card is smaller

PAPER = (255, 249, 236)
INK = (28, 24, 20)
RED = (183, 28, 28)
DETAIL_INK = (70, 62, 56)
WHITE = (255, 255, 255)

FONT_REGULAR = "DejaVuSans.ttf"
FONT_BOLD = "DejaVuSans-Bold.ttf"


@dataclass(frozen=True, slots=True)
class CardText:
    """What the card says, as plain text (wrapped later)."""

    quote: str
    attribution: str
    details: tuple[str, ...]  # "Trích theo: …", the citation, "Nguồn: …"

    def all_text(self) -> str:
        return "\n".join((TITLE, self.quote, self.attribution, *self.details))


def card_text(item: ContentItem, added_by: str | None = None) -> CardText:
    """The card's words, with the content renderer's own rules (render.py: exactly ``text`` inside the marks,
    never a doubled mark, verse as lines, the same attribution and source), never ``note``."""
    opening, closing = quote_marks(item.text)
    quote = unicodedata.normalize("NFC", f"{opening}{verse_lines(item.text.strip())}{closing}")
    if item.lead:
        quote = f"{item.lead} {quote}"
    details: list[str] = []
    if item.via:
        details.append(f"{VIA_LABEL}: {item.via}")
    if item.citation:
        details.append(item.citation)
    details.append(f"{SOURCE_LABEL}: {outlet_name(item)}")
    if added_by:  # an item a đảng bộ imported says so, as in the daily message
        details.append(_("Added by {org}").format(org=added_by))
    return CardText(quote, source_line(item), tuple(unicodedata.normalize("NFC", d) for d in details))


def card_hash(item: ContentItem, added_by: str | None = None) -> str:
    """The cache key: everything drawn, plus the renderer's version."""
    t = card_text(item, added_by)
    payload = json.dumps([RENDERER_VERSION, WIDTH, t.quote, t.attribution, list(t.details)], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


# --- drawing -------------------------------------------------------------------------------------------


@cache
def font_path(name: str = FONT_REGULAR) -> Path:
    """A DejaVu font bundled with matplotlib (found without importing matplotlib itself)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise RuntimeError("matplotlib is not installed: the large-print card needs its DejaVu fonts")
    path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / name
    if not path.exists():
        raise RuntimeError(f"matplotlib's font {name} is missing at {path}")
    return path


@cache
def _font(name: str, size: int) -> FreeTypeFont:
    from PIL import ImageFont  # lazy: the bot starts without paying for Pillow

    return ImageFont.truetype(str(font_path(name)), size)


def wrap(text: str, font: FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap to ``width`` pixels; line breaks in the text are kept; a word wider than the card
    (a long address) is cut by characters."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if font.getlength(candidate) <= width:
                line = candidate
                continue
            if line:
                out.append(line)
            line = word
            while font.getlength(line) > width:  # cut an over-long word
                cut = len(line) - 1
                while cut > 1 and font.getlength(line[:cut]) > width:
                    cut -= 1
                out.append(line[:cut])
                line = line[cut:]
        out.append(line)
    return out


@dataclass(frozen=True, slots=True)
class _Block:
    lines: list[str]
    font: FreeTypeFont
    size: int
    color: tuple[int, int, int]
    gap_before: int

    @property
    def line_height(self) -> int:
        return round(self.size * 1.45)

    @property
    def height(self) -> int:
        return self.gap_before + self.line_height * len(self.lines)


def layout(t: CardText) -> tuple[list[_Block], int]:
    """The text blocks and the card's height."""
    inner = WIDTH - 2 * MARGIN
    body = _font(FONT_REGULAR, BODY_PX)
    body_lines = wrap(t.quote, body, inner)
    size = BODY_PX
    if len(body_lines) > LONG_BODY_LINES:
        size = LONG_BODY_PX
        body = _font(FONT_REGULAR, size)
        body_lines = wrap(t.quote, body, inner)
    attribution = _font(FONT_BOLD, ATTRIBUTION_PX)
    detail = _font(FONT_REGULAR, DETAIL_PX)
    blocks = [_Block(body_lines, body, size, INK, 64),
              _Block(wrap(t.attribution, attribution, inner), attribution, ATTRIBUTION_PX, RED, 56)]
    for n, d in enumerate(t.details):
        blocks.append(_Block(wrap(d, detail, inner), detail, DETAIL_PX, DETAIL_INK, 28 if n == 0 else 8))
    height = BAND_HEIGHT + sum(b.height for b in blocks) + MARGIN
    return blocks, height


def render_card(item: ContentItem, added_by: str | None = None) -> bytes:
    """The card as PNG bytes: 1080 px wide, as tall as the text needs."""
    from PIL import Image, ImageDraw  # lazy, as above

    t = card_text(item, added_by)
    blocks, height = layout(t)
    img = Image.new("RGB", (WIDTH, height), PAPER)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, WIDTH, BAND_HEIGHT), fill=RED)
    title = _font(FONT_BOLD, TITLE_PX)
    draw.text((MARGIN, BAND_HEIGHT // 2), TITLE, font=title, fill=WHITE, anchor="lm")
    y = BAND_HEIGHT
    for n, block in enumerate(blocks):
        y += block.gap_before
        if n == 1:  # a short red rule between the quote and its attribution
            draw.rectangle((MARGIN, y - 32, MARGIN + 120, y - 26), fill=RED)
        for line in block.lines:
            draw.text((MARGIN, y), line, font=block.font, fill=block.color)
            y += block.line_height
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


# --- cache ----------------------------------------------------------------------------------------------


class CardStore:
    """Item -> media-store key of its card, rendering it the first time it is asked for."""

    def __init__(self, deps: Deps) -> None:
        self.media = MediaStore(deps)
        self.index = Path(deps.settings.media_dir) / "cards"
        self._keys: dict[str, str] = {}
        self._lock = asyncio.Lock()

    def _index_path(self, digest: str) -> Path:
        return self.index / f"{digest}.key"

    def _known(self, digest: str) -> str | None:
        key = self._keys.get(digest)
        if key is None:
            path = self._index_path(digest)
            key = path.read_text().strip() if path.exists() else None
        if key and re.fullmatch(r"[0-9a-f]{64}", key) and self.media.exists(key):
            return key
        return None  # never made, or the file was cleaned away: draw it again

    async def media_key(self, item: ContentItem, added_by: str | None = None) -> str:
        digest = card_hash(item, added_by)
        async with self._lock:  # one drawing per item even when several ticks ask at once
            key = await asyncio.to_thread(self._known, digest)
            if key is None:
                data = await asyncio.to_thread(render_card, item, added_by)
                key = await self.media.save(data, "image/png", f"hocbac-{item.id}.png")
                await asyncio.to_thread(self._remember, digest, key)
                log.info("daily card drawn for %s (%s bytes)", item.id, len(data))
            self._keys[digest] = key
            return key

    def _remember(self, digest: str, key: str) -> None:
        path = self._index_path(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(key)
        tmp.replace(path)

    async def photo(self, item: ContentItem, added_by: str | None = None) -> MediaRef:
        return MediaRef("photo", media_key=await self.media_key(item, added_by), mime="image/png",
                        file_name=f"hocbac-{item.id}.png")
