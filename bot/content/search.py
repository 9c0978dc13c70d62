"""Diacritics-insensitive search over content items ("can kiem" finds "cần, kiệm")."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.content.model import ContentItem
from bot.text import fold

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize(text: str) -> str:
    """Lower-case, no diacritics (đ -> d), punctuation as spaces: the project's one folding rule."""
    return fold(text)


def _fields(item: ContentItem) -> tuple[str, str, str]:
    themes = " ".join(t.replace("-", " ") for t in item.themes)
    return normalize(item.text), normalize(item.work or ""), normalize(themes)


def search(items: Iterable[ContentItem], query: str, limit: int = 5) -> list[ContentItem]:
    """Items matching ``query`` best first.

    Ranking: items matching every query token before items matching some; then more matched tokens;
    then the whole query as a phrase; then matches in the quote text over the work title or themes.
    Tokens match whole words, so "an" does not match "ban".
    """
    q = normalize(query)
    tokens = list(dict.fromkeys(q.split()))
    if not tokens or limit <= 0:
        return []
    scored: list[tuple[tuple[int, ...], str, ContentItem]] = []
    for item in items:
        text, work, themes = _fields(item)
        text_words, other_words = set(text.split()), set(work.split()) | set(themes.split())
        in_text = sum(t in text_words for t in tokens)
        matched = sum(t in text_words or t in other_words for t in tokens)
        if matched == 0:
            continue
        phrase = int(len(tokens) > 1 and any(f" {q} " in f" {f} " for f in (text, work, themes)))
        key = (int(matched == len(tokens)), matched, phrase, in_text)
        scored.append((key, item.id, item))
    # Sort by score descending, then id ascending so equal scores come out in a stable order.
    scored.sort(key=lambda s: s[1])
    scored.sort(key=lambda s: s[0], reverse=True)
    return [item for _, _, item in scored[:limit]]
