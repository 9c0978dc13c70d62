"""A validator for Telegram's ``parse_mode=HTML`` subset, and the visible text it renders to.

Telegram rejects a message whose HTML it cannot parse with ``400 can't parse entities: <reason>``.
The fake Bot API runs every HTML text through :func:`check_html` so a bot that forgets to escape
user text fails in tests exactly as it would in production.

Deliberately a little stricter than Telegram in one place: a bare ``&`` that does not start a
supported entity is an error here (Telegram keeps it literally), because it always means
unescaped user text reached the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Tag -> attributes it may carry (others are ignored, as Telegram does).
ALLOWED_TAGS: dict[str, frozenset[str]] = {
    "b": frozenset(),
    "strong": frozenset(),
    "i": frozenset(),
    "em": frozenset(),
    "u": frozenset(),
    "ins": frozenset(),
    "s": frozenset(),
    "strike": frozenset(),
    "del": frozenset(),
    "a": frozenset({"href"}),
    "code": frozenset({"class"}),
    "pre": frozenset(),
    "span": frozenset({"class"}),
    "tg-spoiler": frozenset(),
    "blockquote": frozenset({"expandable"}),
    "tg-emoji": frozenset({"emoji-id"}),
}

NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_ENTITY_RE = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z][A-Za-z0-9]{0,31});")
_TAG_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_ATTR_RE = re.compile(r"""\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")


class HtmlError(ValueError):
    """The text is not valid Telegram HTML; ``reason`` follows Telegram's wording loosely."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Open:
    name: str
    offset: int


def _decode_entity(text: str, pos: int) -> tuple[str, int]:
    """Decode the entity starting at ``text[pos] == '&'``; return (char, next position)."""
    m = _ENTITY_RE.match(text, pos)
    if not m:
        raise HtmlError(f"Character entity expected at byte offset {_byte_offset(text, pos)}")
    body = m.group(1)
    if body.startswith("#"):
        code = int(body[2:], 16) if body[1:2] in ("x", "X") else int(body[1:])
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise HtmlError(f"Invalid character entity at byte offset {_byte_offset(text, pos)}")
        return chr(code), m.end()
    if body not in NAMED_ENTITIES:
        raise HtmlError(f'Unsupported HTML entity "&{body};" at byte offset {_byte_offset(text, pos)}')
    return NAMED_ENTITIES[body], m.end()


def _byte_offset(text: str, pos: int) -> int:
    return len(text[:pos].encode("utf-8"))


def _decode_attr_value(raw: str) -> str:
    if raw[:1] in ("'", '"'):
        raw = raw[1:-1]
    out, i = [], 0
    while i < len(raw):
        if raw[i] == "&":
            ch, i = _decode_entity(raw, i)
            out.append(ch)
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)


def _parse_start_tag(text: str, pos: int, name: str, attr_src: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    i = 0
    while i < len(attr_src):
        m = _ATTR_RE.match(attr_src, i)
        if not m or m.end() == i:
            if attr_src[i:].strip() in ("", "/"):
                break
            offset = _byte_offset(text, pos)
            raise HtmlError(f'Can\'t parse attributes of tag "{name}" at byte offset {offset}')
        attrs[m.group(1).lower()] = _decode_attr_value(m.group(2)) if m.group(2) else ""
        i = m.end()
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise HtmlError('Tag "span" must have class "tg-spoiler"')
    if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
        raise HtmlError('Tag "tg-emoji" must have attribute "emoji-id" with a custom emoji identifier')
    return attrs


def _tag_end(text: str, start: int) -> int:
    """Index of the ``>`` closing the tag at ``start``, skipping quoted attribute values; -1 if none."""
    quote = ""
    for j in range(start + 1, len(text)):
        c = text[j]
        if quote:
            if c == quote:
                quote = ""
        elif c in ("'", '"'):
            quote = c
        elif c == ">":
            return j
        elif c == "<":
            return -1
    return -1


def parse_html(text: str) -> str:
    """Validate ``text`` and return its visible text. Raises :class:`HtmlError`."""
    out: list[str] = []
    stack: list[_Open] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            decoded, i = _decode_entity(text, i)
            out.append(decoded)
            continue
        if ch != "<":
            out.append(ch)
            i += 1
            continue
        if not _TAG_NAME_RE.match(text, i + 1) and text[i + 1 : i + 2] != "/":
            raise HtmlError(f'Unsupported start tag "" at byte offset {_byte_offset(text, i)}')
        end = _tag_end(text, i)
        if end < 0:
            raise HtmlError(f"Unclosed start tag at byte offset {_byte_offset(text, i)}")
        inner = text[i + 1 : end]
        if inner.startswith("/"):
            name = inner[1:].strip().lower()
            if not stack:
                raise HtmlError(f'Unexpected end tag "{name}" at byte offset {_byte_offset(text, i)}')
            if stack[-1].name != name:
                raise HtmlError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, i)}, "
                    f'expected "</{stack[-1].name}>", found "</{name}>"'
                )
            stack.pop()
        else:
            m = _TAG_NAME_RE.match(inner)
            if not m:
                raise HtmlError(f'Unsupported start tag "" at byte offset {_byte_offset(text, i)}')
            name = m.group(0).lower()
            if name not in ALLOWED_TAGS:
                raise HtmlError(f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, i)}')
            _parse_start_tag(text, i, name, inner[m.end() :])
            stack.append(_Open(name, i))
        i = end + 1
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return "".join(out)


def check_html(text: str) -> str | None:
    """Return the error reason for invalid Telegram HTML, or None when it parses."""
    try:
        parse_html(text)
    except HtmlError as exc:
        return exc.reason
    return None


def visible_text(html_text: str) -> str:
    """Tags removed, entities decoded: what the reader sees (and what length limits count).

    Tolerant of invalid HTML (falls back to a best-effort strip) so test transcripts never crash.
    """
    try:
        return parse_html(html_text)
    except HtmlError:
        stripped = re.sub(r"</?[A-Za-z][^>]*>", "", html_text)
        return _ENTITY_RE.sub(lambda m: _lenient_entity(m.group(0)), stripped)


def _lenient_entity(entity: str) -> str:
    try:
        return _decode_entity(entity, 0)[0]
    except HtmlError:
        return entity
