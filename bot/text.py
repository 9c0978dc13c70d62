"""Text helpers shared by channels and handlers.

``fold`` is the one normaliser for loose matching of what people type: Zalo users answer a numbered
list with "dong y" for "Đồng ý ✓", and the core maps "hom nay" to /homnay with the same function.
"""

from __future__ import annotations

import re
import unicodedata

# đ/Đ are letters of their own in Unicode, not d plus a combining mark, so NFD leaves them alone.
_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
_SPECIAL = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


def fold(text: str | None) -> str:
    """Lower-case, drop diacritics (incl. đ -> d), turn emoji/punctuation into spaces, collapse spaces.

    >>> fold("  Đồng ý ✓!! ")
    'dong y'
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL)).casefold()
    out: list[str] = []
    for ch in decomposed:
        cat = unicodedata.category(ch)
        if cat == "Mn":  # combining mark: the diacritic itself
            continue
        # Letters and digits stay; everything else (punctuation, symbols, emoji, ZWJ) separates words.
        out.append(ch if cat[0] in "LN" else " ")
    return " ".join("".join(out).split())


def pick_choice(text: str | None, labels: list[str]) -> int | None:
    """Index of the choice a person typed on a channel without buttons: "2", " 2 ", "2." or "2)" for
    the second, or a label's words loosely ("dong y" for "Đồng ý ✓", "có" for "Có, ghi nhận"). None when
    nothing matches."""
    if not text or not labels:
        return None
    m = _NUMBER.match(text)
    if m:
        index = int(m.group(1))
        return index - 1 if 1 <= index <= len(labels) else None
    typed = fold(text)
    if not typed:
        return None
    exact = next((i for i, label in enumerate(labels) if fold(label) == typed), None)
    if exact is not None:
        return exact
    # "Có, ghi nhận" is answered "Có": the words before a label's comma stand for it when no other
    # label starts the same way.
    heads = [i for i, label in enumerate(labels) if "," in label and fold(label.split(",", 1)[0]) == typed]
    others = [i for i, label in enumerate(labels) if fold(label.split(",", 1)[0]) == typed]
    return heads[0] if len(heads) == 1 and others == heads else None


# C0 control characters other than tab and newline: openpyxl refuses them in a cell, PostgreSQL refuses NUL
# in text, and none of them means anything in a chat message. Word's Shift+Enter (\x0b) and a form feed
# (\x0c) are line breaks to the person who typed them, so they become "\n", as do "\r\n" and a lone "\r".
_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """``text`` without control characters (tab and newline stay; vertical tab, form feed and CR become a
    newline) and with any lone surrogate (never valid UTF-8) replaced by U+FFFD.

    >>> clean_text("Dòng 1\\x0bDòng 2\\x00!")
    'Dòng 1\\nDòng 2!'
    """
    if not text:
        return text
    text = _CONTROLS.sub("", _LINE_BREAKS.sub("\n", text))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A pair of surrogates becomes its character again; a lone one becomes U+FFFD.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


_BRANCH_WORD = "chi bo"


def branch_title(name: str | None) -> str:
    """A branch's name as it reads in a sentence: "Chi bộ thôn 1". Most names already start with "Chi bộ"
    (the demo's, and what secretaries type into /taochibo); a bare "Thôn 3" gets the word in front, so a
    message never says "chi bộ Chi bộ thôn 1". Messages put ``{branch}`` alone, never "chi bộ {branch}".

    >>> branch_title("Chi bộ thôn 1"), branch_title("chi bo Thon 2"), branch_title("Thôn 3")
    ('Chi bộ thôn 1', 'chi bo Thon 2', 'Chi bộ Thôn 3')
    """
    name = (name or "").strip()
    if not name or fold(name) == _BRANCH_WORD or fold(name).startswith(_BRANCH_WORD + " "):
        return name
    return f"Chi bộ {name}"


def number(n: float) -> str:
    """A count or amount as people read it in the current language: "4.096" and "87,5" in Vietnamese (a dot
    between thousands, a comma before decimals), "4,096" and "87.5" in English. Use it for every count or
    limit shown to people that can reach 1,000 (report totals, character limits).

    >>> number(4096), number(1234567), number(999), number(87.5)
    ('4.096', '1.234.567', '999', '87,5')
    """
    from bot.i18n import current_locale  # bot.i18n reads the catalogs; text stays importable on its own

    grouped = f"{n:,}" if isinstance(n, int) else f"{n:,g}"
    return grouped if current_locale() == "en" else grouped.translate(_VI_DIGITS)


_VI_DIGITS = str.maketrans({",": ".", ".": ","})
