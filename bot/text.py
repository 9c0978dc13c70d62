"""Text helpers shared by channels and handlers.

``fold`` is the one normaliser for loose matching of what people type: Zalo users answer a numbered
list with "dong y" for "Đồng ý ✓", and the core maps "hom nay" to /homnay with the same function.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time

from bot.i18n import _

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


# "06:30", "6:30", "6h30", "6h", "06.30", "6 giờ 30", "19g30": how people type a time of day.
_TIME_OF_DAY = re.compile(r"^\s*(\d{1,2})\s*(?:[:hg.]|giờ)\s*(\d{2})?\s*(?:phút)?\s*$", re.IGNORECASE)


def parse_time_of_day(text: str | None) -> time | None:
    """A typed time of day, or None when it is not one (e.g. "25:99", "sáng mai")."""
    m = _TIME_OF_DAY.match(text or "")
    if not m:
        return None
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


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


def weekday_name(day: date) -> str:
    """"Thứ Năm" for a Thursday (translated; Monday is weekday 0)."""
    names = (_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday"))
    return names[day.weekday()]


def day_with_weekday(day: date) -> str:
    """"Thứ Năm, 03/12/2026": how a meeting's day is shown, so nobody has to count on a calendar."""
    return f"{weekday_name(day)}, {day.strftime('%d/%m/%Y')}"
