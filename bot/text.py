"""Text folding shared by the router, forms, search and the Zalo choice matcher."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w\s]", re.UNICODE)
_SPACES = re.compile(r"\s+")


def strip_diacritics(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def fold(text: str | None) -> str:
    """Lower-case, no Vietnamese diacritics, no punctuation or emoji, single spaces.

    "Hủy!" -> "huy"; "📖 Hôm nay" -> "hom nay"; "Đồng ý ✓" -> "dong y".
    """
    if not text:
        return ""
    text = strip_diacritics(text).lower()
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    return _SPACES.sub(" ", text).strip()
