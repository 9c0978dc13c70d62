"""Turn a neutral Reply into Zalo text messages (pure functions, no I/O).

Zalo has no HTML, no buttons and a 2000-character limit. So the Reply HTML subset becomes plain
text, inline choices become a numbered list the person answers with a number (or the label), and
long text is cut at paragraph, then sentence, then word boundaries. Lengths are counted in UTF-16 code
units, as other Zalo clients do (an emoji is 2), and cut at 1,900 to keep a margin (API_NOTES #21).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from bot.messages import Button, Reply

MAX_TEXT = 2000
SPLIT_AT = 1900  # the margin under MAX_TEXT that replies are cut at


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: characters outside the BMP (most emoji) count 2."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _chars_within(text: str, units: int) -> int:
    """How many leading characters of ``text`` fit in ``units`` UTF-16 code units."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > units:
            return i
    return len(text)

_BLOCK_TAGS = {"p", "div", "pre", "blockquote", "li", "ul", "ol", "tr", "h1", "h2", "h3"}


class _PlainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities arrive already decoded in handle_data
        self.out: list[str] = []
        self._links: list[tuple[str, int]] = []  # (href, index in out where the label starts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.out.append("\n")
        elif tag == "a":
            self._links.append((dict(attrs).get("href") or "", len(self.out)))
        elif tag in _BLOCK_TAGS:
            self._block_break()

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._links:
            href, start = self._links.pop()
            label = "".join(self.out[start:]).strip()
            if href and href != label:
                self.out.append(f" ({href})" if label else href)
        elif tag in _BLOCK_TAGS:
            self._block_break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def _block_break(self) -> None:
        if self.out and not "".join(self.out[-2:]).endswith("\n"):
            self.out.append("\n")


def to_plain(html_text: str) -> str:
    """Strip the Reply HTML subset, decode entities, keep line breaks; links become "label (url)"."""
    parser = _PlainText()
    parser.feed(html_text)
    parser.close()
    return "".join(parser.out).strip("\n")


# Where a cut may go, best first. Each pattern matches the separator; the cut goes after it.
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_SENTENCE = re.compile(r"(?<=[.?!…])\s+|\n")
_WORD = re.compile(r"\s+")


def _cut_at(window: str, pattern: re.Pattern[str], floor: int) -> tuple[int, int] | None:
    """Last separator in ``window`` that starts at or after ``floor``: (end of kept part, start of rest)."""
    best = None
    for m in pattern.finditer(window):
        if m.start() >= floor:
            best = (m.start(), m.end())
    return best


def split_text(text: str, limit: int = SPLIT_AT) -> list[str]:
    """Cut ``text`` into parts of at most ``limit`` UTF-16 code units.

    Prefers paragraph breaks, then sentence ends (". ", "? ", "! ", newline), then spaces; a word is
    only broken when it alone is longer than ``limit``. A paragraph or sentence break is only used if
    it keeps at least a third of the window, so parts do not come out tiny.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip()
    parts: list[str] = []
    while utf16_len(text) > limit:
        fits = _chars_within(text, limit)
        window = text[: fits + 1]  # a separator right at the limit still counts
        cut = (
            _cut_at(window, _PARAGRAPH, fits // 3)
            or _cut_at(window, _SENTENCE, fits // 3)
            or _cut_at(window, _WORD, 1)
        )
        if cut is None or cut[0] == 0:
            keep, rest = fits, fits  # one word longer than the limit: no choice but to break it
        else:
            keep, rest = cut
        parts.append(text[:keep].rstrip())
        text = text[rest:].lstrip()
    if text:
        parts.append(text)
    return parts


def choices_prompt(count: int, start: int = 1) -> str:
    """'Trả lời 1 hoặc 2.' / 'Trả lời 4, 5 hoặc 6.' / 'Trả lời một số từ 1 đến 7.'"""
    last = start + count - 1
    if count == 1:
        return f"Trả lời {start}."
    if count <= 5:
        return "Trả lời " + ", ".join(str(i) for i in range(start, last)) + f" hoặc {last}."
    return f"Trả lời một số từ {start} đến {last}."


def choices_block(buttons: list[list[Button]], start: int = 1) -> str:
    """The text that stands in for inline buttons: URL lines, then the numbered choices and prompt."""
    flat = [b for row in buttons for b in row]
    links = [f"{to_plain(b.label)}: {b.url}" for b in flat if b.url]
    choices = [b for b in flat if not b.url]
    lines = list(links)
    if choices:
        if lines:
            lines.append("")
        lines += [f"{i}. {to_plain(b.label)}" for i, b in enumerate(choices, start)]
        lines.append(choices_prompt(len(choices), start))
    return "\n".join(lines)


# Telegram words that mean nothing on Zalo (no buttons, no menu under the text): the same sentence, said
# the Zalo way. Applied to every text the Zalo channel sends, replies and outbox notices alike, because a
# notice is written before anyone knows which app will carry it. tests/zalo/test_zalo_render.py checks
# every Vietnamese catalog entry, so a reworded string that slips past these patterns fails there.
_ZALO_WORDING: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Chọn trong menu bên dưới, hoặc gửi /help\."), "Gửi /help để xem các việc có thể làm."),
    (re.compile(r"Dùng menu bên dưới, hoặc gửi /help"), "Gửi /help"),
    (re.compile(r"menu bên dưới"), "danh sách lệnh (/help)"),
    (re.compile(r"Bấm nút dưới mỗi việc"), "Gửi số ghi dưới mỗi việc"),
    (re.compile(r"Bấm một nút"), "Gửi một số"),
    (re.compile(r"bấm một nút"), "gửi một số"),
    (re.compile(r"Bấm nút"), "Gửi số"),
    (re.compile(r"bấm nút"), "gửi số"),
]


def zalo_wording(text: str) -> str:
    """Say "send the number" where the text says "press the button", and no "menu below"."""
    for pattern, said in _ZALO_WORDING:
        text = pattern.sub(said, text)
    return text


def render_reply(reply: Reply, limit: int = SPLIT_AT) -> list[str]:
    """The text messages for one Reply. The choices block stays whole in the last message."""
    text = zalo_wording(to_plain(reply.text).strip())
    block = choices_block(reply.buttons, reply.choice_start)
    if not block:
        return split_text(text, limit) if text else []
    if not text:
        return split_text(block, limit)
    whole = f"{text}\n\n{block}"
    if utf16_len(whole) <= limit:
        return [whole]
    parts = split_text(text, limit)
    if utf16_len(parts[-1]) + 2 + utf16_len(block) <= limit:
        parts[-1] = f"{parts[-1]}\n\n{block}"
    else:
        parts += split_text(block, limit)
    return parts


_NUMBERED_LINE = re.compile(r"^(\d{1,3})\. (.+)$")
_PROMPT_START = "Trả lời "

# Typed answers ("2", "dong y") are mapped back to choices by the core (bot.text.pick_choice), so
# handlers never ask which channel they are on; this module only writes the list.


def numbered_choices(text: str) -> list[str]:
    """Labels of the numbered list written by :func:`choices_block` (used by the scripted user and
    by anything that must read a sent message back). Only a run "4. ", "5. ", ... directly followed
    by the "Trả lời ..." prompt counts, so an ordinary numbered paragraph is not taken for choices."""
    return [label for _n, label in numbered_choice_items(text)]


def numbered_choice_items(text: str) -> list[tuple[int, str]]:
    """(number, label) of the numbered list in ``text``; numbers run on across cards (bot.kernel.choices)."""
    run: list[tuple[int, str]] = []
    found: list[tuple[int, str]] = []
    for line in text.splitlines():
        line = line.strip()
        m = _NUMBERED_LINE.match(line)
        if m and run and int(m.group(1)) == run[-1][0] + 1:
            run.append((int(m.group(1)), m.group(2)))
            continue
        if run and line.startswith(_PROMPT_START):
            found = run  # the last list in the message wins
        run = [(int(m.group(1)), m.group(2))] if m else []
    return found
